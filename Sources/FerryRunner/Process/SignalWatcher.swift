import Foundation
import Glibc

/// The write end of the self-pipe the signal handler writes to (set once, before the handler).
nonisolated(unsafe) private var signalPipeWriter: Int32 = -1
/// Set by the handler (an async-signal-safe store) as soon as a signal arrives.
nonisolated(unsafe) private var signalArrived: sig_atomic_t = 0

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
            signalArrived = 1
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
    /// Call before exiting normally: once a signal has arrived, the handler thread owns the exit
    /// (it must finish removing namespaces first), so this waits for it and never returns.
    public static func yieldToInterruption() {
        guard signalArrived != 0 else { return }
        while true { pause() }
    }
}

/// The children alive in this process, so that an interrupted run can stop them.
public final class ProcessRegistry: @unchecked Sendable {
    public static let shared = ProcessRegistry()
    private let children = LiveObjects<ChildProcess>()

    /// True once `stopAll` ran: no further tracked child may start.
    public var isClosed: Bool { children.isClosed }

    func add(_ child: ChildProcess) { children.insert(child) }
    func remove(_ child: ChildProcess) { children.remove(child) }

    /// Stops every child still registered (SIGTERM, grace, SIGKILL); none may start afterwards.
    public func stopAll(grace: TimeInterval = 1) {
        let alive = children.close()
        for child in alive { child.signalGroup(SIGTERM) }
        for child in alive { child.stop(grace: grace) }
    }
}
