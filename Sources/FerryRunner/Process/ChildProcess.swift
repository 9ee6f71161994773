import Foundation
import Glibc

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
/// Waiting is on an event (Foundation's termination handler), never by polling. `stop(grace:)`
/// ends the whole group: SIGTERM, a grace period, then SIGKILL. The group is signalled through
/// its id only while its leader has not been reaped (afterwards the id may name another group);
/// members left behind are then found in /proc by their group id and killed one by one.
public final class ChildProcess: @unchecked Sendable {
    /// The command line, program first.
    public let arguments: [String]
    /// What it printed.
    public let output: CapturedOutput
    private let process = Process()
    private let started = Date()
    /// Set by the termination handler once Foundation has reaped the child.
    private let exited = Flag()
    private var readers: [Thread] = []

    /// Starts `arguments[0]` (looked up in PATH when it has no slash).
    /// - Parameters:
    ///   - environment: added to this process's environment.
    ///   - outputCap: the most bytes of output kept.
    ///   - tracked: registered with `ProcessRegistry`, so an interrupted run stops it; short
    ///     administrative commands (`Tool`) are not.
    public init(
        arguments: [String], environment: [String: String] = [:], workingDirectory: String? = nil,
        outputCap: Int = 16 << 20, tracked: Bool = true
    ) throws {
        precondition(!arguments.isEmpty)
        if tracked && ProcessRegistry.shared.isClosed {
            throw FerryRunError.environment("\(arguments[0]): not started: the run is being interrupted")
        }
        self.arguments = arguments
        self.output = CapturedOutput(cap: outputCap)
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
        let exited = self.exited
        process.terminationHandler = { _ in exited.set() }
        do {
            try process.run()
        } catch {
            throw FerryRunError.environment("\(arguments[0]): cannot start: \(error.localizedDescription)")
        }
        for (pipe, stream) in [(stdout, CapturedLine.Stream.stdout), (stderr, .stderr)] {
            let descriptor = pipe.fileHandleForReading.fileDescriptor
            let sink = output
            let start = started
            let reader = Thread {
                Self.drain(descriptor, stream: stream, into: sink, since: start)
                try? pipe.fileHandleForReading.close()
            }
            reader.start()
            readers.append(reader)
        }
        try? stdout.fileHandleForWriting.close()
        try? stderr.fileHandleForWriting.close()
        if tracked { ProcessRegistry.shared.add(self) }
    }

    /// The child's process id, which is also its process group id.
    public var pid: Int32 { process.processIdentifier }

    /// True while the child has not been reaped.
    public var isRunning: Bool { !exited.isSet }

    /// Waits for the child to end, at most until `deadline`.
    /// - Returns: how it ended, or nil if it was still running at the deadline.
    public func wait(until deadline: Date) -> Termination? {
        guard exited.wait(until: deadline) else { return nil }
        // Let the readers take the last lines still in the pipes (descendants may hold them open).
        _ = output.waitForClose(until: min(deadline, Date().addingTimeInterval(2)))
        ProcessRegistry.shared.remove(self)
        return termination
    }

    /// Waits, at most until `deadline`, for the child to end; true when it has. Unlike `wait`, it
    /// does not wait for the pipes: for loops that watch something else meanwhile.
    public func waitForExit(until deadline: Date) -> Bool {
        exited.wait(until: deadline)
    }

    /// How the child ended; nil while it runs.
    public var termination: Termination? {
        guard exited.isSet else { return nil }
        return process.terminationReason == .uncaughtSignal
            ? .signaled(process.terminationStatus) : .exited(process.terminationStatus)
    }

    /// Sends `signal` to the child's whole process group, while its leader has not been reaped.
    public func signalGroup(_ signal: Int32) {
        guard pid > 0, process.isRunning, !exited.isSet else { return }
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

    private static func drain(_ descriptor: Int32, stream: CapturedLine.Stream, into sink: CapturedOutput, since start: Date) {
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        func emit(_ bytes: ArraySlice<UInt8>) {
            var text = String(decoding: bytes, as: UTF8.self)
            if text.hasSuffix("\r") { text.removeLast() }
            sink.append(CapturedLine(stream: stream, time: Date().timeIntervalSince(start), text: text))
        }
        while true {
            let got = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if got < 0 && errno == EINTR { continue }
            if got <= 0 { break }
            pending.append(contentsOf: chunk[0..<got])
            var lineStart = 0
            while let newline = pending[lineStart...].firstIndex(of: 10) {
                emit(pending[lineStart..<newline])
                lineStart = newline + 1
            }
            pending.removeFirst(lineStart)
        }
        if !pending.isEmpty { emit(pending[...]) }
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

/// A one-way flag another thread can wait for.
final class Flag: @unchecked Sendable {
    private let condition = NSCondition()
    private var value = false

    var isSet: Bool {
        condition.lock()
        defer { condition.unlock() }
        return value
    }

    func set() {
        condition.lock()
        value = true
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until the flag is set or `deadline` passes; true when set.
    func wait(until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !value {
            if !condition.wait(until: deadline) { return value }
        }
        return true
    }
}
