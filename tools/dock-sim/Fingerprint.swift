import Foundation

/// The MD5 (RFC 1321) a dock computes over a downloaded KMZ to compare with `file.fingerprint`.
/// The simulator's own implementation, written apart from the controller's so that a mistake in
/// one is not repeated in the other: the sine table is computed here as the RFC defines it.
enum Fingerprint {
    private static let sines: [UInt32] = (1...64).map { UInt32(floor(abs(sin(Double($0))) * 4_294_967_296)) }
    private static let rotations: [[UInt32]] = [[7, 12, 17, 22], [5, 9, 14, 20], [4, 11, 16, 23], [6, 10, 15, 21]]

    static func md5Hex(_ bytes: [UInt8]) -> String {
        var state: (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476)
        var message = bytes
        message.append(0x80)
        message += [UInt8](repeating: 0, count: (119 - bytes.count % 64) % 64)
        var length = UInt64(bytes.count) &* 8
        for _ in 0..<8 {
            message.append(UInt8(length & 0xFF))
            length >>= 8
        }
        for offset in stride(from: 0, to: message.count, by: 64) {
            let x: [UInt32] = (0..<16).map { w in
                (0..<4).reduce(UInt32(0)) { $0 | UInt32(message[offset + w * 4 + $1]) << (8 * UInt32($1)) }
            }
            var (a, b, c, d) = state
            for step in 0..<64 {
                let round = step / 16
                let mixed: UInt32
                let word: Int
                switch round {
                case 0: mixed = (b & c) | (~b & d); word = step
                case 1: mixed = (b & d) | (c & ~d); word = (1 + 5 * step) % 16
                case 2: mixed = b ^ c ^ d; word = (5 + 3 * step) % 16
                default: mixed = c ^ (b | ~d); word = (7 * step) % 16
                }
                let sum = a &+ mixed &+ sines[step] &+ x[word]
                let r = rotations[round][step % 4]
                (a, d, c) = (d, c, b)
                b = b &+ (sum << r | sum >> (32 - r))
            }
            state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
        }
        return [state.0, state.1, state.2, state.3]
            .flatMap { v in (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xFF) } }
            .map { String(format: "%02x", $0) }
            .joined()
    }
}
