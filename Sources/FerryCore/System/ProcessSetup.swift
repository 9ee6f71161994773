import Glibc

/// Process-wide start-up for Ferry's transfer programs.
public enum ProcessSetup {
    /// Ignores SIGPIPE, so that writing to a socket or pipe whose reader is gone fails with
    /// EPIPE (reported as an error) instead of killing the process. Call once at start-up.
    public static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }

    /// On SIGTERM or SIGINT, writes out the stdout lines still held (see `StandardStreams`) and
    /// ends the process as the signal would have (status 128 + signal).
    public static func flushOutputOnTermination() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            StandardStreams.flushHeldOutput()
            _exit(128 + signal)
        }
        for signal in [SIGTERM, SIGINT] { sigaction(signal, &action, nil) }
    }
}
