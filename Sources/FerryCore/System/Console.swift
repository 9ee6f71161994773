import Glibc

/// Where the programs' lines go: stdout for the required messages, stderr for diagnostics.
///
/// Each line is one unbuffered `write(2)`, so a reader of a pipe (the runner) sees it at once
/// and lines from stdout and stderr keep their order.
public protocol LineSink: AnyObject {
    /// Writes one line to standard output.
    func out(_ line: String)
    /// Writes one line to standard error.
    func diagnostic(_ line: String)
}

/// The process's own stdout and stderr.
public final class StandardStreams: LineSink {
    public init() {}
    public func out(_ line: String) { Self.write(line, to: STDOUT_FILENO) }
    public func diagnostic(_ line: String) { Self.write(line, to: STDERR_FILENO) }

    private static func write(_ line: String, to fd: Int32) {
        var text = line
        text.append("\n")
        text.withUTF8 { bytes in
            // A closed stdout must not stop a transfer in progress: drop the line.
            try? writeFully(UnsafeRawBufferPointer(bytes), "write", "standard output") {
                Glibc.write(fd, $0.baseAddress, $0.count)
            }
        }
    }
}
