import Foundation

/// Runs `count` jobs on up to `width` threads and hands their results to the calling thread in job
/// order, each as soon as it and every job before it are done: output is never interleaved and
/// reads the same as with one thread. With `lockstep`, a job starts only when fewer than `width`
/// started jobs are still undelivered, so a stop (`--fail-fast`) after job n starts nothing past
/// what was running; without it, threads take the next job as soon as they are free.
enum OrderedPool {
    /// - Parameters:
    ///   - work: runs on a pool thread; returns the job's result.
    ///   - deliver: runs on the calling thread, in order; returns false to start no further jobs
    ///     (jobs already started finish and are delivered too, in order, their answers ignored).
    static func run<T: Sendable>(
        count: Int, width: Int, lockstep: Bool = false, work: @escaping @Sendable (Int) -> T, deliver: (Int, T) -> Bool
    ) {
        let state = State<T>(count: count, window: lockstep ? max(1, width) : count)
        let threads = max(1, min(width, count))
        for _ in 0..<threads {
            Thread {
                while let index = state.nextJob() {
                    state.finish(index, work(index))
                }
            }.start()
        }
        var stopped = false
        for index in 0..<count {
            guard let result = state.wait(for: index) else { break }
            if !deliver(index, result) && !stopped {
                stopped = true
                state.stopStarting()
            }
            // Only now may the next job start: a stop above is seen first.
            state.delivered(index)
        }
        state.waitForRunning()
    }

    /// The jobs' shared state, behind one condition lock.
    private final class State<T: Sendable>: @unchecked Sendable {
        private let condition = NSCondition()
        private var results: [T?]
        private var next = 0
        private var running = 0
        private var stopped = false
        /// Jobs handed to the caller so far.
        private var handedOver = 0
        /// The most started jobs not yet handed over.
        private let window: Int

        init(count: Int, window: Int) {
            results = Array(repeating: nil, count: count)
            self.window = window
        }

        func nextJob() -> Int? {
            condition.lock()
            defer { condition.unlock() }
            while !stopped && next < results.count && next >= handedOver + window { condition.wait() }
            guard !stopped, next < results.count else { return nil }
            next += 1
            running += 1
            return next - 1
        }

        func finish(_ index: Int, _ result: T) {
            condition.lock()
            results[index] = result
            running -= 1
            condition.broadcast()
            condition.unlock()
        }

        /// The result of job `index`, once done; nil if it will never start.
        func wait(for index: Int) -> T? {
            condition.lock()
            defer { condition.unlock() }
            while results[index] == nil {
                if stopped && index >= next { return nil }
                condition.wait()
            }
            return results[index]
        }

        /// The caller took job `index`'s result and decided whether to stop.
        func delivered(_ index: Int) {
            condition.lock()
            handedOver = index + 1
            condition.broadcast()
            condition.unlock()
        }

        func stopStarting() {
            condition.lock()
            stopped = true
            condition.broadcast()
            condition.unlock()
        }

        func waitForRunning() {
            condition.lock()
            while running > 0 { condition.wait() }
            condition.unlock()
        }
    }
}
