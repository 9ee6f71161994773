import Foundation
import Glibc
import Synchronization

/// The write end of the self-pipe the signal handler writes to (set once, before the handler).
nonisolated(unsafe) private var signalPipeWriter: Int32 = -1
/// Set by the handler as soon as a signal arrives (a lock-free atomic store, safe in a handler),
/// read by the main thread.
private let signalArrived = Atomic<Bool>(false)

/// Turns SIGINT, SIGTERM and SIGHUP into a call on an ordinary thread, so the runner can stop its
/// children and remove its namespaces before it exits.
///
/// A real handler is installed (not SIG_IGN, not a blocked mask), because children inherit ignored
/// and blocked signals across exec but not handlers: they must still die of SIGTERM.
public enum SignalWatcher {
    /// Installs the handler; `onSignal` runs on a thread of its own for the first signal that arrives.
    public static func install(_ onSignal: @escaping @Sendable (Int32) -> Void) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return }
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        signalPipeWriter = ends[1]
        let reader = ends[0]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            signalArrived.store(true, ordering: .sequentiallyConsistent)
            var byte = UInt8(truncatingIfNeeded: signal)
            _ = write(signalPipeWriter, &byte, 1)
        }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            sigaction(signal, &action, nil)
            sigaddset(&unblocked, signal)
        }
        // A parent may have started us with these blocked; threads made from now on inherit this mask.
        pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
        let thread = Thread {
            var byte: UInt8 = 0
            while read(reader, &byte, 1) != 1 {}
            onSignal(Int32(byte))
        }
        thread.start()
    }
}

extension SignalWatcher {
    /// `SIGINT`, `SIGTERM`, or `signal N`: how a stopping program names the signal.
    public static func name(_ signal: Int32) -> String {
        signal == SIGINT ? "SIGINT" : signal == SIGTERM ? "SIGTERM" : "signal \(signal)"
    }

    /// Writes `line` and a newline to stderr in one `write(2)`, whatever another thread is
    /// buffering for stdout.
    public static func announce(_ line: String) {
        let text = line + "\n"
        _ = text.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    }

    /// Call before exiting normally: once a signal has arrived, the handler thread owns the exit
    /// (it must finish removing namespaces first), so this waits for it and never returns.
    public static func yieldToInterruption() {
        guard signalArrived.load(ordering: .sequentiallyConsistent) else { return }
        while true { pause() }
    }
}
