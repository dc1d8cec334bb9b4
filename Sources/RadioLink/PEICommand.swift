/// One AT command for the radio, with its exact bytes.
///
/// A plain command is printable ASCII starting with `AT` and holding no `;` (no V.250 chaining),
/// written with CR LF. An SDS send is `AT+CMGS=…` CR LF, hex user data and Ctrl-Z, built only
/// from an `SDSSubmission`, so nothing outside the hex can come from user text.
public struct PEICommand: Hashable, Sendable, CustomStringConvertible {
    /// The command line without line end, e.g. `AT+CSQ?` or `AT+CMGS=2269001,104`.
    public let text: String
    /// Seconds to wait for the final result, or nil for the engine's default.
    public var timeout: Double?
    private let sds: SDSSubmission?

    /// Throws `invalidCommand` unless `text` is one printable-ASCII command starting with `AT`.
    public init(_ text: String, timeout: Double? = nil) throws(RadioLinkError) {
        let bytes = Array(text.utf8)
        guard bytes.count >= 2, bytes.count <= 256, bytes[0] | 0x20 == 0x61, bytes[1] | 0x20 == 0x74,
              bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x3B })
        else {
            throw RadioLinkError(code: .invalidCommand, message: "command \(text.debugDescription) must be a single AT command of printable ASCII without ';'")
        }
        self.text = text
        self.timeout = timeout
        self.sds = nil
    }

    /// The bare `AT` used for the start probe and the keep-alive.
    public static let attention = PEICommand(checked: "AT")

    private init(checked text: String) {
        self.text = text
        self.timeout = nil
        self.sds = nil
    }

    /// `AT+CMGS=…` carrying `submission`.
    public init(sending submission: SDSSubmission, timeout: Double? = nil) {
        self.text = submission.commandLine
        self.timeout = timeout
        self.sds = submission
    }

    /// `AT+CTGS=<type>,<gssi>`: select (type 1) or scan (2-7) a talkgroup.
    public static func selectGroup(_ gssi: String, type: Int = 1) throws(RadioLinkError) -> PEICommand {
        guard TetraIdentity.isValidDialDigits(gssi) else {
            throw RadioLinkError(code: .invalidIdentity, message: "talkgroup \"\(gssi)\" must be 1 to 17 digits (a GSSI or GTSI)")
        }
        guard (0...7).contains(type) else {
            throw RadioLinkError(code: .invalidCommand, message: "group type \(type) must be 0 (none), 1 (select) or 2-7 (scan)")
        }
        return try PEICommand("AT+CTGS=\(type),\(gssi)")
    }

    /// The SDS this command sends, if it is an `AT+CMGS`.
    public var submission: SDSSubmission? { sds }

    /// Exactly what goes to the port.
    public var wireBytes: [UInt8] { sds?.wireBytes ?? Array(text.utf8) + [0x0D, 0x0A] }

    public var description: String { text }
}
