import FerryCore
import Foundation
import Glibc
import Synchronization

/// What an interrupted run still owes CI: the reports of the cases that finished. The main thread
/// records the request and each finished case; the signal thread takes them once and writes the
/// reports with the interruption as the run's error.
public final class InterruptedRun: Sendable {
    public static let shared = InterruptedRun()

    private struct State {
        var request: RunRequest?
        var run: RunInfo?
        var results: [CaseResult] = []
        /// Taken by the signal thread: the main thread records nothing more.
        var taken = false
    }

    private let state = Mutex(State())

    /// The run has started (report paths already checked).
    func begin(_ request: RunRequest, _ run: RunInfo) {
        state.withLock {
            $0.request = request
            $0.run = run
        }
    }

    /// On the signal thread, first: lifts the progress lines for good, so that what is written
    /// next is not drawn over.
    public func stopProgress() {
        state.withLock { $0.request?.options.progress }?.stop()
    }

    /// A case finished and was reported.
    func finished(_ result: CaseResult) {
        state.withLock { if !$0.taken { $0.results.append(result) } }
    }

    /// On the signal thread, after the children were stopped: writes the reports asked for with
    /// the cases that finished, the interruption as the error. Once; nothing when no run began.
    public func writeReports(because reason: String) {
        let taken = state.withLock { state -> (RunRequest, RunInfo, [CaseResult])? in
            guard !state.taken, let request = state.request, let run = state.run else { return nil }
            state.taken = true
            return (request, run, state.results)
        }
        guard let (request, run, results) = taken else { return }
        var interrupted = run
        interrupted.error = reason
        _ = Runner.writeReports(results, request, run: interrupted, sink: StderrSink())
    }
}

/// Lines straight to stderr with one `write(2)` each: the signal thread must not touch the main
/// thread's stdout buffer.
private final class StderrSink: LineSink {
    func out(_ line: String) { diagnostic(line) }
    func diagnostic(_ line: String) {
        let text = line + "\n"
        _ = text.withCString { write(STDERR_FILENO, $0, strlen($0)) }
    }
    func flush() {}
    func flush(ifOlderThan nanoseconds: UInt64) {}
}
