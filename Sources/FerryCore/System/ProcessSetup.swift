import Glibc

/// Process-wide start-up for every Ferry executable.
public enum ProcessSetup {
    /// Ignores SIGPIPE, so that writing to a socket or pipe whose reader is gone fails with
    /// EPIPE (reported as an error) instead of killing the process. Call once at start-up.
    public static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }
}
