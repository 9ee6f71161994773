import FerryCore
import FerryRunner
import Foundation

/// What one side printed and how it ended.
public struct SideOutput: Sendable {
    public var stdout: [String]
    public var stderr: [String]
    public var termination: Termination?
}

/// Runs the built `server` in the pair's server namespace and the built `client` in its client
/// namespace: the client starts once the server prints its ready line. Both are stopped on any
/// failure or timeout.
public enum PairRun {
    public static func run(
        pair: NamespacePair, server: [String], client: [String], workingDirectory: String,
        timeout: TimeInterval = 240, whileClientRuns: ((ChildProcess) throws -> Void)? = nil
    ) throws -> (server: SideOutput, client: SideOutput) {
        let serverProcess = try ChildProcess(
            arguments: pair.inServer([BuiltProducts.path("server")] + server), workingDirectory: workingDirectory)
        defer { serverProcess.stop() }
        let ready = serverProcess.output.waitForLine(until: Date().addingTimeInterval(20)) {
            $0.stream == .stdout && $0.text == Messages.serverReady.text
        }
        guard ready else {
            throw PairRunError.serverNotReady(serverProcess.output.snapshot.map(\.text).joined(separator: "\n"))
        }
        let clientProcess = try ChildProcess(
            arguments: pair.inClient([BuiltProducts.path("client")] + client), workingDirectory: workingDirectory)
        defer { clientProcess.stop() }
        try whileClientRuns?(clientProcess)
        let deadline = Date().addingTimeInterval(timeout)
        let clientEnd = clientProcess.wait(until: deadline)
        let serverEnd = serverProcess.wait(until: deadline)
        return (side(serverProcess, serverEnd), side(clientProcess, clientEnd))
    }

    public static func side(_ process: ChildProcess, _ termination: Termination?) -> SideOutput {
        let lines = process.output.snapshot
        return SideOutput(
            stdout: lines.filter { $0.stream == .stdout }.map(\.text),
            stderr: lines.filter { $0.stream == .stderr }.map(\.text),
            termination: termination)
    }
}

public enum PairRunError: Error, CustomStringConvertible {
    case serverNotReady(String)
    public var description: String {
        switch self {
        case .serverNotReady(let output): "the server never printed its ready line; it printed:\n\(output)"
        }
    }
}

/// The repository's root folder (where Package.swift is).
public func repositoryRoot(_ file: String = #filePath) -> String {
    var url = URL(fileURLWithPath: file)
    while url.path != "/" {
        url.deleteLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
    }
    return FileManager.default.currentDirectoryPath
}
