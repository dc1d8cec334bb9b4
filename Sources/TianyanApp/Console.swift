import Foundation

/// Unbuffered output for lines other processes wait on (tests, scripts).
public enum Console {
    public static func emit(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    public static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}
