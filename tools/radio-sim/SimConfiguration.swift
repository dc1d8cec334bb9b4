/// Everything that shapes a simulation run. Delays are seconds of simulated time; each actual
/// delay is drawn around the given mean (½× to 1½×).
struct SimConfiguration: Hashable, Sendable {
    /// The gateway radio's own ISSI (at most 8 digits) and network code, for `+CNUMF`.
    var ownISSI: Int = 2_000_001
    var mobileCountryCode: Int = 460
    var mobileNetworkCode: Int = 1
    /// How many radios of the sample fleet talk (a quarter pilots, the rest officers).
    var radios: Int = 50
    /// Multiplier of all background traffic (calls, locations, statuses, texts); 0 = none.
    var rate: Double = 1
    /// Mean seconds between group calls at rate 1.
    var callInterval: Double = 25
    var seed: UInt64 = 1

    /// `+CMGS: n` → unsolicited `+CMGS: n,4|5,ref`.
    var sendDelay: Double = 2
    /// Sent → SDS-REPORT "received" from the destination.
    var reportDelay: Double = 4
    /// Received → SDS-REPORT "consumed" (read).
    var readDelay: Double = 20
    /// Fraction of pages whose reports come 30-120 s late.
    var lateFraction: Double = 0.05
    /// Fraction of pages that are received but never read.
    var neverReadFraction: Double = 0.15
    /// Fraction of SDS to known destinations that fail over the air (`+CMGS: n,5,ref`).
    var failRate: Double = 0.03
    /// Fraction of `AT+CMGS` refused with `+CME ERROR: 42` (MT busy).
    var busyRate: Double = 0.01
    /// Fraction of status presses that are the emergency button (0x0000), and of calls that are
    /// emergency calls (priority 15).
    var emergencyRate: Double = 0.01
    /// Fraction of radios that lose their GPS fix now and then.
    var noFixFraction: Double = 0.05
    /// Noise bursts or truncated lines per minute.
    var garbageRate: Double = 0
    /// Answer a group-addressed SDS asking for reports with one "sent to group" report (0x05).
    var groupReport: Bool = false
    /// Send every URC whatever `AT+CTSP` registered (a radio whose codeplug routes everything).
    var routeAll: Bool = false
    /// Seconds the radio waits for the hex user data after `AT+CMGS` before `+CME ERROR: 37`.
    var pduTimeout: Double = 30
}
