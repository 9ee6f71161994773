import Foundation
import Glibc
import Synchronization

/// How a child ended: an exit status or a signal. A result, not an error.
public enum Termination: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public var description: String {
        switch self {
        case .exited(let status): "exit status \(status)"
        case .signaled(let signal): "killed by signal \(signal) (\(String(cString: strsignal(signal))))"
        }
    }
}

/// A child process started with Foundation `Process`, in a process group of its own, whose
/// stdout and stderr are drained into `output` by two threads while it runs.
///
/// Its end is an event, never polled for: a pidfd (`pidfd_open`) becomes readable when the child
/// exits, and `waitid(WNOWAIT)` reads how without reaping it. Foundation's own notice is not
/// enough: it comes when a descriptor the child inherited closes, which a grandchild may hold for
/// as long as it likes. `stop(grace:)` ends the whole group: SIGTERM, a grace period, then
/// SIGKILL. The group is signalled through its id only while its leader has not been reaped (until
/// then the id cannot name another group); members left behind are then found in /proc by their
/// group id and killed one by one.
public final class ChildProcess: @unchecked Sendable {
    /// The command line, program first.
    public let arguments: [String]
    /// What it printed.
    public let output: CapturedOutput
    private let process = Process()
    private let started = Date()
    /// How the child ended, once it has, and whether it has been reaped.
    private let end = ExitState()
    /// The inodes of its stdout and stderr pipes, to find who else holds them.
    private var pipeInodes: Set<UInt64> = []
    private var readers: [Thread] = []

    /// Starts `arguments[0]` (looked up in PATH when it has no slash).
    /// - Parameters:
    ///   - environment: added to this process's environment.
    ///   - outputCap: the most bytes of output kept, unless `output` is given.
    ///   - output: where the output goes (a side's: its log, its observer, recent lines only).
    ///   - tracked: registered with `ProcessRegistry`, so an interrupted run stops it; short
    ///     administrative commands (`Tool`) are not.
    public init(
        arguments: [String], environment: [String: String] = [:], workingDirectory: String? = nil,
        outputCap: Int = 16 << 20, output: CapturedOutput? = nil, tracked: Bool = true
    ) throws {
        precondition(!arguments.isEmpty)
        if tracked && ProcessRegistry.shared.isClosed {
            throw FerryRunError.environment("\(arguments[0]): not started: the run is being interrupted")
        }
        self.arguments = arguments
        self.output = output ?? CapturedOutput(cap: outputCap)
        guard let executable = Self.locate(arguments[0]) else {
            throw FerryRunError.environment("\(arguments[0]): command not found")
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(arguments.dropFirst())
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        let end = self.end
        process.terminationHandler = { process in
            end.reaped(process.terminationReason == .uncaughtSignal
                ? .signaled(process.terminationStatus) : .exited(process.terminationStatus))
        }
        do {
            try process.run()
        } catch {
            throw FerryRunError.environment("\(arguments[0]): cannot start: \(error.localizedDescription)")
        }
        for (pipe, stream) in [(stdout, CapturedLine.Stream.stdout), (stderr, .stderr)] {
            let descriptor = pipe.fileHandleForReading.fileDescriptor
            var info = stat()
            if fstat(descriptor, &info) == 0 { pipeInodes.insert(UInt64(info.st_ino)) }
            let sink = self.output
            let start = started
            let reader = Thread {
                if sink.readsInBackground { Self.runOnIdleTimeOnly() }
                Self.drain(descriptor, stream: stream, into: sink, since: start)
                try? pipe.fileHandleForReading.close()
            }
            reader.start()
            readers.append(reader)
        }
        try? stdout.fileHandleForWriting.close()
        try? stderr.fileHandleForWriting.close()
        ExitWatcher.watch(process.processIdentifier, into: end)
        if tracked { ProcessRegistry.shared.add(self) }
    }

    /// How long the pipes are still read after the child exited: what a descendant that holds
    /// them writes later is not the child's.
    public static let drainAfterExit: TimeInterval = 1

    /// The child's process id, which is also its process group id.
    public var pid: Int32 { process.processIdentifier }

    /// True while the child has not been reaped.
    public var isRunning: Bool { end.termination == nil }

    /// Waits for the child to end, at most until `deadline`.
    /// - Returns: how it ended, or nil if it was still running at the deadline.
    public func wait(until deadline: Date) -> Termination? {
        guard end.wait(until: deadline) else { return nil }
        // Let the readers take the last lines still in the pipes (descendants may hold them open).
        if !output.waitForClose(until: min(deadline, Date().addingTimeInterval(Self.drainAfterExit))) {
            let holders = Self.holders(of: pipeInodes)
            strays.withLock { if $0.isEmpty { $0 = holders } }
            // Nobody else writes: what is left is in the pipes, and the readers (on idle CPU time
            // for a judged side) only need the time to take it. Cutting them off would lose lines.
            if holders.isEmpty { _ = output.waitForClose(until: deadline) }
        }
        ProcessRegistry.shared.remove(self)
        return termination
    }

    /// Waits, at most until `deadline`, for the child to end; true when it has. Unlike `wait`, it
    /// does not wait for the pipes: for loops that watch something else meanwhile.
    public func waitForExit(until deadline: Date) -> Bool {
        end.wait(until: deadline)
    }

    /// Processes that still held the child's output after it exited (`1234 (sleep)`): a
    /// descendant left running. Found once, when the pipes did not close within `drainAfterExit`.
    public var strayProcesses: [String] { strays.withLock { $0 } }
    private let strays = Mutex<[String]>([])

    /// `pid (name)` of every other process with one of `inodes`' pipes open, from /proc/*/fd.
    static func holders(of inodes: Set<UInt64>) -> [String] {
        let manager = FileManager.default
        let own = getpid()
        var found: [String] = []
        for entry in (try? manager.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), pid != own else { continue }
            let links = (try? manager.contentsOfDirectory(atPath: "/proc/\(entry)/fd")) ?? []
            let holds = links.contains { link in
                guard let target = try? manager.destinationOfSymbolicLink(atPath: "/proc/\(entry)/fd/\(link)"),
                    target.hasPrefix("pipe:["), let inode = UInt64(target.dropFirst(6).dropLast())
                else { return false }
                return inodes.contains(inode)
            }
            if holds {
                let name = (try? String(contentsOfFile: "/proc/\(entry)/comm", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
                found.append("\(pid) (\(name))")
            }
        }
        return found.sorted()
    }

    /// How the child ended; nil while it runs.
    public var termination: Termination? {
        end.termination
    }

    /// Sends `signal` to the child's whole process group, while its leader has not been reaped.
    public func signalGroup(_ signal: Int32) {
        guard pid > 0, !end.isReaped else { return }
        _ = kill(-pid, signal)
    }

    /// Stops the child and its process group: SIGTERM, up to `grace` seconds, then SIGKILL; then
    /// any member of the group still alive (a descendant that ignored SIGTERM). Safe to call after
    /// it has ended.
    @discardableResult
    public func stop(grace: TimeInterval = 2) -> Termination {
        if isRunning {
            signalGroup(SIGTERM)
            if wait(until: Date().addingTimeInterval(grace)) == nil { signalGroup(SIGKILL) }
        }
        let ended = wait(until: Date().addingTimeInterval(10)) ?? .signaled(SIGKILL)
        Self.killGroupMembers(pid)
        ProcessRegistry.shared.remove(self)
        return ended
    }

    /// SIGKILL to every live process whose process group is `group` (from /proc/<pid>/stat).
    /// Used after the group's leader was reaped, when the group id may no longer be signalled.
    static func killGroupMembers(_ group: Int32) {
        guard group > 0 else { return }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // After "pid (comm)": state, ppid, pgrp.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 2, Int32(fields[2]) == group { kill(pid, SIGKILL) }
        }
    }

    /// `SCHED_IDLE` from <sched.h> (Linux), which Glibc's module does not export.
    private static let idleSchedulingPolicy: Int32 = 5

    /// Puts the calling thread under `SCHED_IDLE`: it runs when a CPU has nothing else to run,
    /// and a waking program takes its CPU at once. Any thread may lower its own priority, so this
    /// needs no privilege. Judged from its pipes while it runs, a pair on two CPUs saw its 90th
    /// percentile transfer time doubled by the runner's reading and judging at normal priority:
    /// a burst of judging held one CPU just when client or server woke (docs/performance.md).
    /// Where the kernel refuses, the thread stays as it was.
    static func runOnIdleTimeOnly() {
        var parameters = sched_param(sched_priority: 0)
        _ = sched_setscheduler(0, idleSchedulingPolicy, &parameters)
    }

    /// The most bytes of one line; a longer one is cut into lines of this length.
    static let longestLine = 16 << 20

    /// Reads a pipe in blocks of 64 KiB until it closes, handing the output the lines of each
    /// block together, stamped with the block's arrival.
    private static func drain(_ descriptor: Int32, stream: CapturedLine.Stream, into sink: CapturedOutput, since start: Date) {
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var batch: [CapturedLine] = []
        func line(_ bytes: ArraySlice<UInt8>, at time: Double) -> CapturedLine {
            var text = String(decoding: bytes, as: UTF8.self)
            if text.hasSuffix("\r") { text.removeLast() }
            return CapturedLine(stream: stream, time: time, text: text)
        }
        while true {
            let got = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { break }
            let time = Date().timeIntervalSince(start)
            pending.append(contentsOf: chunk[0..<got])
            var lineStart = 0
            while let newline = pending[lineStart...].firstIndex(of: 10) {
                batch.append(line(pending[lineStart..<newline], at: time))
                lineStart = newline + 1
            }
            pending.removeFirst(lineStart)
            // A line without an end for 16 MiB is cut there: memory stays bounded whatever is printed.
            if pending.count >= Self.longestLine {
                batch.append(line(pending[...], at: time))
                pending.removeAll(keepingCapacity: false)
            }
            if !batch.isEmpty {
                sink.append(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !pending.isEmpty { sink.append([line(pending[...], at: Date().timeIntervalSince(start))]) }
        sink.streamClosed()
    }

    /// The full path of `program`, searching PATH when it has no slash.
    public static func locate(_ program: String) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 ? program : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
        for folder in path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"] {
            let candidate = "\(folder)/\(program)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}

/// How a child ended, recorded once by whichever notice comes first, and whether it was reaped.
final class ExitState: @unchecked Sendable {
    private let condition = NSCondition()
    private var ended: Termination?
    private var wasReaped = false

    var termination: Termination? {
        condition.lock()
        defer { condition.unlock() }
        return ended
    }

    var isReaped: Bool {
        condition.lock()
        defer { condition.unlock() }
        return wasReaped
    }

    /// The child exited (it may still be a zombie).
    func exited(_ termination: Termination) {
        condition.lock()
        if ended == nil { ended = termination }
        condition.broadcast()
        condition.unlock()
    }

    /// Foundation reaped the child.
    func reaped(_ termination: Termination) {
        condition.lock()
        if ended == nil { ended = termination }
        wasReaped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until the child has ended or `deadline` passes; true when it has ended.
    func wait(until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while ended == nil {
            if !condition.wait(until: deadline) { return ended != nil }
        }
        return true
    }
}

/// Notices a child's exit through a pidfd, on a thread of its own, without reaping it.
enum ExitWatcher {
    private typealias PidfdOpen = @convention(c) (pid_t, UInt32) -> Int32
    /// glibc's `pidfd_open` (2.36 on), looked up at run time since Glibc's module does not export it.
    private static let pidfdOpen: PidfdOpen? = dlsym(nil, "pidfd_open").map { unsafeBitCast($0, to: PidfdOpen.self) }

    /// Records `pid`'s end in `state` when it exits. Without pidfds (kernels before 5.3), the
    /// termination handler's notice is the only one.
    static func watch(_ pid: pid_t, into state: ExitState) {
        guard let pidfdOpen else { return }
        let descriptor = pidfdOpen(pid, 0)
        guard descriptor >= 0 else { return }
        Thread {
            defer { close(descriptor) }
            var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            while poll(&waiting, 1, -1) < 0 && errno == EINTR {}
            var info = siginfo_t()
            // WNOWAIT: leave the zombie for Foundation to reap; its pid stays reserved until then.
            guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT | WNOHANG) == 0, info._sifields._sigchld.si_pid == pid else {
                return  // already reaped: the termination handler records it
            }
            let status = info._sifields._sigchld.si_status
            state.exited(info.si_code == Int32(CLD_EXITED) ? .exited(status) : .signaled(status))
        }.start()
    }
}
