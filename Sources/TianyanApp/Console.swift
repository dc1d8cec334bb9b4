import Foundation

/// Unbuffered output for lines other processes wait on (tests, scripts). A reader that went
/// away (`tianyan units | head`) ends the command quietly, as for any Unix tool, instead of
/// crashing on the broken pipe.
public enum Console {
    public static func emit(_ text: String) { write(Data((text + "\n").utf8), to: STDOUT_FILENO) }

    public static func error(_ text: String) { write(Data((text + "\n").utf8), to: STDERR_FILENO) }

    static func write(_ data: Data, to fd: Int32) {
        data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0, errno == EINTR {
                    continue
                } else if n < 0, errno == EPIPE {
                    exit(fd == STDOUT_FILENO ? 0 : 1)
                } else {
                    return
                }
            }
        }
    }
}
