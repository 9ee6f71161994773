import FerryCore
import FerryScenario
import Foundation

/// Runs one case: makes the hosts, starts the server, waits until it is ready, starts the client,
/// waits for both within the case's time limit, verifies the copies and checks everything.
public struct CaseRunner {
    public let testCase: ScenarioCase
    public let mode: CaseHosts.Mode
    public let options: RunOptions
    /// How long the server may take to exit after the client finished.
    public static let serverExitGrace: TimeInterval = 10

    public init(testCase: ScenarioCase, mode: CaseHosts.Mode, options: RunOptions) {
        self.testCase = testCase
        self.mode = mode
        self.options = options
    }

    private var scenario: Scenario { testCase.scenario }

    /// Runs the case. Throws only when the environment cannot run it (the hosts cannot be made).
    public func run() throws -> CaseResult {
        let started = Date()
        let folder = "\(options.workDirectory)/\(Self.folderName(testCase.name))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let hosts = try CaseHosts(mode: mode, network: scenario.network)
        defer { hosts.remove() }
        if scenario.network.impair != nil {
            guard let pair = hosts.pair else {
                throw FerryRunError.environment("\(scenario.path): network.impair needs namespace isolation, but this run uses host isolation")
            }
            try Impairment.apply(testCase, to: pair)
        }

        let serverSpec = scenario.server
        let serverFolder = serverSpec?.cwd ?? folder
        let store = serverSpec == nil ? "\(folder)/received" : Self.resolve(serverSpec?.store ?? "received", in: serverFolder)
        let values = placeholderValues(hosts: hosts, store: store)
        let serverCommand = (serverSpec?.command ?? ownServerCommand(folder: folder)).map { Placeholders.expand($0, with: values) }
        let clientCommand = (scenario.client?.command ?? ownClientCommand(folder: folder)).map { Placeholders.expand($0, with: values) }

        var verifier = CopyVerifier(store: store)
        verifier.snapshot()
        let deadline = started.addingTimeInterval(scenario.timeouts.caseLimit)
        var checks: [Check] = []
        let sides = try runSides(
            hosts: hosts, serverCommand: serverCommand, clientCommand: clientCommand, serverFolder: serverFolder,
            deadline: deadline, checks: &checks)

        let serverLog = sides.server?.output.snapshot ?? []
        let clientLog = sides.client?.output.snapshot ?? []
        Self.writeLog(serverLog, to: "\(folder)/server.log", command: serverCommand)
        Self.writeLog(clientLog, to: "\(folder)/client.log", command: clientCommand)

        let verified = (try? verifier.verify(standard: scenario.transfer.standard, expected: scenario.transfer.repetitions))
            ?? Verification(identical: 0, differing: 0, missing: scenario.transfer.repetitions)
        let evaluation = CaseEvaluation(testCase: testCase, values: values, verified: verified)
        checks += evaluation.checks(
            serverEnd: sides.serverEnd, clientEnd: sides.clientEnd, serverLog: serverLog, clientLog: clientLog,
            startedClient: sides.client != nil)

        var result = CaseResult(
            name: testCase.name, scenario: scenario.path, scenarioName: scenario.name, transport: testCase.transport.rawValue,
            bufferSize: testCase.bufferSize, repetitions: scenario.transfer.repetitions, isolation: hosts.mode.rawValue,
            checks: checks, incorrect: verified.incorrect, verified: verified,
            serverTimes: evaluation.times(serverLog, template: Messages.serverTime.template),
            clientTimes: evaluation.times(clientLog, template: Messages.clientTime.template),
            serverAverage: evaluation.average(serverLog, template: Messages.serverAverage.template),
            clientAverage: evaluation.average(clientLog, template: Messages.clientAverage.template),
            duration: Date().timeIntervalSince(started), folder: folder, serverLog: serverLog, clientLog: clientLog,
            droppedOutput: (sides.server?.output.dropped ?? 0) + (sides.client?.output.dropped ?? 0),
            loss: testCase.loss, impairment: testCase.impairmentDescription,
            datagramsLost: serverSpec == nil ? Self.datagramsLost(in: "\(folder)/server.json") : nil)
        if result.passed && !options.keep && serverSpec == nil {
            try? FileManager.default.removeItem(atPath: store)
        }
        result.duration = Date().timeIntervalSince(started)
        return result
    }

    private struct Sides {
        var server: ChildProcess?
        var client: ChildProcess?
        var serverEnd: Termination?
        var clientEnd: Termination?
    }

    private func runSides(
        hosts: CaseHosts, serverCommand: [String], clientCommand: [String], serverFolder: String, deadline: Date,
        checks: inout [Check]
    ) throws -> Sides {
        var sides = Sides()
        var environment = ["PYTHONUNBUFFERED": "1"]
        environment.merge(scenario.server?.environment ?? [:]) { $1 }
        do {
            sides.server = try ChildProcess(arguments: hosts.onServer(serverCommand), environment: environment, workingDirectory: serverFolder)
        } catch {
            checks.append(Check(name: "server_start", passed: false, detail: "\(error)"))
            return sides
        }
        guard let server = sides.server else { return sides }
        defer { server.stop() }
        let readyLimit = Date().addingTimeInterval(scenario.timeouts.ready)
        let limitText = readyLimit <= deadline
            ? "within \(Formatting.fixed(scenario.timeouts.ready, decimals: 1)) s"
            : "within the case limit of \(Formatting.fixed(scenario.timeouts.caseLimit, decimals: 1)) s"
        if let problem = waitUntilReady(server, until: min(deadline, readyLimit), limitText: limitText) {
            checks.append(Check(name: "server_ready", passed: false, detail: problem))
            sides.serverEnd = server.stop()
            return sides
        }
        checks.append(Check(name: "server_ready", passed: true, detail: "ready"))

        var clientEnvironment = ["PYTHONUNBUFFERED": "1"]
        clientEnvironment.merge(scenario.client?.environment ?? [:]) { $1 }
        let clientFolder = scenario.client?.cwd ?? (scenario.server == nil ? serverFolder : FileManager.default.currentDirectoryPath)
        do {
            sides.client = try ChildProcess(arguments: hosts.onClient(clientCommand), environment: clientEnvironment, workingDirectory: clientFolder)
        } catch {
            checks.append(Check(name: "client_start", passed: false, detail: "\(error)"))
            sides.serverEnd = server.stop()
            return sides
        }
        guard let client = sides.client else { return sides }
        defer { client.stop() }
        sides.clientEnd = client.wait(until: deadline)
        if sides.clientEnd != nil {
            sides.serverEnd = server.wait(until: min(deadline, Date().addingTimeInterval(Self.serverExitGrace)))
        }
        let limit = Formatting.fixed(scenario.timeouts.caseLimit, decimals: 1)
        switch (sides.clientEnd, sides.serverEnd) {
        case (nil, _):
            checks.append(Check(name: "timeout", passed: false, detail: "the client was still running at the case limit of \(limit) s; both sides were stopped"))
        case (_, nil) where Date() >= deadline:
            checks.append(Check(name: "timeout", passed: false, detail: "the server was still running at the case limit of \(limit) s; it was stopped"))
        case (_, nil):
            checks.append(Check(name: "timeout", passed: false, detail: "the server did not exit within \(Int(Self.serverExitGrace)) s after the client finished; it was stopped"))
        default:
            checks.append(Check(name: "timeout", passed: true, detail: "finished within \(limit) s"))
        }
        if sides.clientEnd == nil { sides.clientEnd = client.stop() }
        if sides.serverEnd == nil { _ = server.stop() }
        return sides
    }

    /// nil when the server is ready; otherwise why not.
    private func waitUntilReady(_ server: ChildProcess, until deadline: Date, limitText: String) -> String? {
        let readyLine = scenario.server.map { $0.ready } ?? Messages.serverReady.text
        if let readyLine {
            let normalizer = LineNormalizer(testCase.expectations.match)
            let wanted = normalizer.normalize(readyLine)
            if server.output.waitForLine(until: deadline, where: { $0.stream == .stdout && normalizer.normalize($0.text).contains(wanted) }) {
                return nil
            }
            if let end = server.termination { return "the server ended (\(end)) before printing its ready line \"\(readyLine)\"" }
            return "the server did not print its ready line \"\(readyLine)\" \(limitText)"
        }
        let port = scenario.transfer.port
        if ReadinessProbe.waitUntilListening(server, port: port, datagram: testCase.transport.isDatagram, until: deadline) { return nil }
        if let end = server.termination { return "the server ended (\(end)) before listening on port \(port)" }
        return "the server did not listen on port \(scenario.transfer.port) \(limitText)"
    }

    private func placeholderValues(hosts: CaseHosts, store: String) -> [String: String] {
        [
            "server_ip": hosts.serverIP, "client_ip": hosts.clientIP, "port": String(scenario.transfer.port),
            "file": URL(fileURLWithPath: scenario.transfer.file).lastPathComponent, "file_path": scenario.transfer.file,
            "standard_path": scenario.transfer.standard, "repetitions": String(scenario.transfer.repetitions),
            "buffer_size": String(testCase.bufferSize), "store": store, "protocol": testCase.transport.rawValue,
        ]
    }

    private func ownServerCommand(folder: String) -> [String] {
        ["\(options.binaries)/server", "--ip", "{server_ip}", "--port", "{port}", "--standard", "{standard_path}",
         "--count", "{repetitions}", "--buffer-size", "{buffer_size}", "--store", "{store}", "--json", "\(folder)/server.json",
         "--protocol", "{protocol}"]
    }

    private func ownClientCommand(folder: String) -> [String] {
        ["\(options.binaries)/client", "--server", "{server_ip}", "--port", "{port}", "--file", "{file_path}",
         "--count", "{repetitions}", "--buffer-size", "{buffer_size}", "--json", "\(folder)/client.json",
         "--protocol", "{protocol}"]
    }

    /// Data datagrams the server reported lost, from Ferry's own server's JSON results.
    static func datagramsLost(in path: String) -> Int? {
        guard let data = FileManager.default.contents(atPath: path),
            let results = try? JSONDecoder().decode(ResultsFile.self, from: data)
        else { return nil }
        let counts = results.transfers.compactMap(\.datagrams)
        return counts.isEmpty ? nil : counts.reduce(0) { $0 + $1.lost }
    }

    /// A case name as a folder name: `buffers[tcp,4096]` becomes `buffers-tcp-4096`.
    public static func folderName(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isLetter || character.isNumber || character == "-" || character == "_" || character == "." {
                result.append(character)
            } else if !result.hasSuffix("-") {
                result.append("-")
            }
        }
        while result.hasSuffix("-") { result.removeLast() }
        return result.isEmpty ? "case" : result
    }

    static func resolve(_ path: String, in folder: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: folder).appendingPathComponent(path).standardizedFileURL.path
    }

    static func writeLog(_ lines: [CapturedLine], to path: String, command: [String]) {
        var text = "# \(command.joined(separator: " "))\n"
        for line in lines {
            text += "[\(Formatting.fixed(line.time, decimals: 3))] \(line.stream == .stdout ? "out" : "err") | \(line.text)\n"
        }
        try? text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
