import FerryCore
import FerryRunner
import Foundation

/// Runs the built `runner` with arguments and collects what it printed.
public struct RunnerInvocation {
    public var status: Termination?
    public var stdout: [String]
    public var stderr: [String]
    /// Everything printed, for failure messages.
    public var all: String { (stdout + stderr).joined(separator: "\n") }

    /// Runs `runner arguments --work-dir workDirectory` in `folder`, for at most `timeout` seconds.
    public init(_ arguments: [String], workDirectory: String, in folder: String, timeout: TimeInterval = 180) throws {
        let child = try ChildProcess(
            arguments: [BuiltProducts.path("runner")] + arguments + ["--work-dir", workDirectory], workingDirectory: folder)
        status = child.wait(until: Date().addingTimeInterval(timeout)) ?? child.stop()
        let lines = child.output.snapshot
        stdout = lines.filter { $0.stream == .stdout }.map(\.text)
        stderr = lines.filter { $0.stream == .stderr }.map(\.text)
    }
}
