import Foundation

/// Runs short administrative commands (`ip`, `nft`, `tc`) to completion.
public enum Tool {
    /// Runs `arguments` and returns its stdout.
    /// - Throws: `FerryRunError.environment` with the command and its stderr when it fails.
    @discardableResult
    public static func run(_ arguments: [String], timeout: TimeInterval = 20) throws -> String {
        let child = try ChildProcess(arguments: arguments, outputCap: 1 << 20, tracked: false)
        let ended = child.wait(until: Date().addingTimeInterval(timeout)) ?? child.stop()
        let lines = child.output.snapshot
        guard ended == .exited(0) else {
            let why = lines.filter { $0.stream == .stderr }.map(\.text).joined(separator: " ")
            throw FerryRunError.environment("\(arguments.joined(separator: " ")): \(why.isEmpty ? ended.description : why)")
        }
        return lines.filter { $0.stream == .stdout }.map(\.text).joined(separator: "\n")
    }
}
