import FerryCore
import FerryScenario
import Foundation

/// One submission of `--submissions`: a folder judged by the scenario.
public struct Submission: Sendable, Equatable {
    /// The folder's name (`alice`), control characters shown as `?`.
    public var name: String
    /// The folder's absolute path.
    public var path: String
    /// Its folder in the work folder: the name made safe, unique among the submissions.
    public var workFolder: String

    public init(name: String, path: String, workFolder: String? = nil) {
        self.name = String(String.UnicodeScalarView(name.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : $0 }))
        self.path = path
        self.workFolder = workFolder ?? CaseRunner.folderName(name)
    }
}

/// Runs one case: makes the hosts, prepares each side's folder (source, files, build), starts the
/// server, waits until it is ready, starts the client, waits for both within the case's time
/// limit, verifies the copies and judges every check.
public struct CaseRunner: Sendable {
    public let testCase: ScenarioCase
    public let mode: CaseHosts.Mode
    public let options: RunOptions
    /// The submission judged, with `--submissions`.
    public let submission: Submission?
    /// How long the server may take to exit after the client finished.
    public static let serverExitGrace: TimeInterval = 10

    public init(testCase: ScenarioCase, mode: CaseHosts.Mode, options: RunOptions, submission: Submission? = nil) {
        self.testCase = testCase
        self.mode = mode
        self.options = options
        self.submission = submission
    }

    private var scenario: Scenario { testCase.scenario }

    /// The case's folder: `<work>/<case>`, or `<work>/<submission>/<case>`.
    public var folder: String {
        let base = submission.map { "\(options.workDirectory)/\($0.workFolder)" } ?? options.workDirectory
        return "\(base)/\(Self.folderName(testCase.name))"
    }

    /// Runs the case. Throws only when the environment cannot run it (the hosts cannot be made).
    public func run() throws -> CaseResult {
        let started = Date()
        let folder = self.folder
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var values = baseValues()
        // Sides on other machines: connected, and what they need copied there, before anything runs.
        let remote = scenario.hosts.anyRemote
            ? try RemoteCase(scenario: scenario, caseFolder: RemoteSide.caseFolder(Self.folderName(testCase.name)),
                             binaries: options.remoteBinaries)
            : RemoteCase.none
        defer { remote.stop() }
        let hosts = try CaseHosts(mode: mode, network: scenario.network, values: values, remoteServerIP: try remote.serverIP(scenario.network))
        defer { hosts.remove() }
        // Sides on machines of their own: the impairment is made there (`allow_remote`).
        let hostImpairment = scenario.hosts.anyRemote ? try HostImpairment.apply(testCase, remote: remote, serverIP: hosts.serverIP) : nil
        defer { hostImpairment?.remove() }
        if scenario.network.impair != nil && !scenario.hosts.anyRemote {
            guard let pair = hosts.pair else {
                throw FerryRunError.environment("\(scenario.path): network.impair needs namespace isolation, but this run uses host isolation")
            }
            try Impairment.apply(testCase, to: pair)
        }
        values["server_ip"] = hosts.serverIP
        values["client_ip"] = hosts.clientIP
        let counts = try flowCounters(hosts)

        // Connecting to other machines and copying Ferry there (once per run) is not the case's time.
        let deadline = (scenario.hosts.anyRemote ? Date() : started).addingTimeInterval(scenario.timeouts.caseLimit)
        var facts = CaseFacts(verified: .unverified(scenario.transfer.repetitions, because: "not run"), counts: .failure(FerryError("not run")), mode: hosts.mode)
        if options.jobs > 1 && !options.judgeTimes {
            facts.timesNotJudged = "timing budgets are not judged with --jobs \(options.jobs) (cases share the CPU); add --judge-times to judge them"
        }

        // Each side's folder, store and command.
        let scenarioFolder = URL(fileURLWithPath: scenario.path).deletingLastPathComponent().standardizedFileURL.path
        var serverSide = scenario.server.map { SideWorkspace(side: .server, spec: $0, caseFolder: folder) }
        var clientSide = scenario.client.map { SideWorkspace(side: .client, spec: $0, caseFolder: folder) }
        let serverFolder = serverSide?.folder ?? folder
        let (storeSpec, storeFolder) = store(values: values, serverFolder: serverFolder)
        values["store"] = storeFolder
        // A server on another machine stores its copies there, in its own folder.
        let remoteStore = remote.server.map { store(values: values, serverFolder: $0.folder).1 }
        let serverEnvironment = Self.environment(scenario.server)
        let clientEnvironment = Self.environment(scenario.client)

        // Each side's folder: source, fixtures, build. A side that cannot be prepared blocks the case.
        func prepare(_ side: inout SideWorkspace?, _ spec: CommandSpec?, store: StoreSpec?, environment: [String: String], host: BuildHost) {
            guard let spec, var workspace = side else { return }
            let prepared = workspace.prepare(
                spec, scenarioFolder: scenarioFolder, values: values, store: store, deadline: deadline, environment: environment, host: host)
            facts.runChecks += prepared.checks
            side = workspace
            if !prepared.ready && facts.blocker == nil { facts.blocker = prepared.checks.last.map { "\($0.name) failed" } }
        }
        prepare(&serverSide, scenario.server, store: storeSpec, environment: serverEnvironment, host: BuildHost(
            wrap: remote.server?.command ?? hosts.onServer, cleanUp: { hosts.pair.map { NamespacePair.killProcesses(in: $0.serverNamespace) } },
            stage: { try remote.stage(.server, from: $0) }))
        prepare(&clientSide, scenario.client, store: nil, environment: clientEnvironment, host: BuildHost(
            wrap: remote.client?.command ?? hosts.onClient, cleanUp: { hosts.pair.map { NamespacePair.killProcesses(in: $0.clientNamespace) } },
            stage: { try remote.stage(.client, from: $0) }))
        var serverValues = remote.values(values, for: .server)
        if let remoteStore { serverValues["store"] = remoteStore }
        let (serverCommand, clientCommand) = commands(serverValues: serverValues, clientValues: remote.values(values, for: .client), remote: remote)

        var verifier = CopyVerifier(location: CopyLocation(
            // Ferry's own server numbers its copies from 1, whatever the scenario says of the programs it judges.
            folder: storeFolder, namePattern: storeSpec.namePattern, counterBase: scenario.server == nil ? 1 : testCase.expectations.match.counterBase,
            fixtures: serverSide?.fixtures ?? []))
        verifier.snapshot()
        // What a remote program's store held before the case (its source may bring files).
        var remoteBefore = RemoteCopies.Snapshot()
        if let server = remote.server, let remoteStore, scenario.server != nil, facts.blocker == nil {
            do {
                remoteBefore = try RemoteCopies.snapshot(on: server.session, store: remoteStore)
            } catch {
                facts.blocker = "the server's store on \(server.session.host.label) could not be listed: \(error)"
            }
        }

        let evaluation = CaseEvaluation(testCase: testCase, values: values)
        if facts.blocker == nil {
            remote.started()
            let captures = (
                server: SideCapture(evaluation.observer(.server), logPath: "\(folder)/server.log", command: serverCommand, watch: readyWatch()),
                client: SideCapture(evaluation.observer(.client), logPath: "\(folder)/client.log", command: clientCommand))
            let sides = runSides(
                onServer: remote.server?.command ?? hosts.onServer, onClient: remote.client?.command ?? hosts.onClient,
                serverCommand: serverCommand, clientCommand: clientCommand, serverFolder: serverFolder,
                clientFolder: clientSide?.folder ?? folder, environments: (serverEnvironment, clientEnvironment), deadline: deadline,
                captures: captures)
            facts.runChecks += sides.checks
            facts.blocker = sides.blocker
            facts.serverEnd = sides.serverEnd
            facts.clientEnd = sides.clientEnd
            facts.strays = [.server: sides.server?.strayProcesses ?? [], .client: sides.client?.strayProcesses ?? []]
            // Whatever the sides left running (a descendant in a session of its own) is gone before
            // anything is judged: it could still print, or change the store under the verifier.
            if let pair = hosts.pair { pair.namespaces.forEach(NamespacePair.killProcesses) }
            facts.server = captures.server.finish()
            facts.client = captures.client.finish()
            facts.droppedOutput = captures.server.output.dropped + captures.client.output.dropped
            // Nothing keeps running remotely either; Ferry's own sides' results come back for the reports.
            remote.stop()
            try? remote.server?.fetch("server.json", to: folder)
            try? remote.client?.fetch("client.json", to: folder)
        } else {
            // The sides never ran: their logs hold their commands only.
            OutputLog.writeEmpty(path: "\(folder)/server.log", command: serverCommand)
            OutputLog.writeEmpty(path: "\(folder)/client.log", command: clientCommand)
        }
        // Every case lists the same checks: those that did not get to run are skipped, with why.
        for name in Self.runCheckNames where !facts.runChecks.contains(where: { $0.name == name }) {
            facts.runChecks.append(.skipped(name, because: facts.blocker ?? "not run"))
        }

        do {
            if let server = remote.server, let remoteStore, !options.fetchCopies || scenario.server != nil {
                // Fixtures copied into the store folder are never copies.
                let excluded = Set((serverSide?.fixtures ?? []).compactMap { fixture -> String? in
                    let inStore = URL(fileURLWithPath: fixture).deletingLastPathComponent().path
                        == URL(fileURLWithPath: storeFolder).standardizedFileURL.path
                    return inStore ? URL(fileURLWithPath: fixture).lastPathComponent : nil
                })
                facts.verified = try RemoteCopies.verify(
                    on: server.session, store: remoteStore, standard: scenario.transfer.standard,
                    expected: scenario.transfer.repetitions, location: verifier.location, before: remoteBefore, excluded: excluded)
            } else {
                // --fetch-copies: the copies come here and are verified as local ones.
                try remote.server?.fetch("received", to: folder)
                facts.verified = try verifier.verify(standard: scenario.transfer.standard, expected: scenario.transfer.repetitions)
            }
        } catch {
            facts.verified = .unverified(scenario.transfer.repetitions, because: "\(scenario.transfer.standard): \(error)")
        }
        // The remote folders go as soon as the copies are judged: a run of many cases must not fill
        // another machine's /tmp.
        remote.remove()
        if let counter = try? counts.get() {
            facts.counts = counter.read().map { .success($0) } ?? .failure(FerryError("the connection counters could not be read"))
        } else if case .failure(let why) = counts {
            facts.counts = .failure(why)
        }
        if case .success(let counted) = facts.counts {
            facts.verified = facts.verified.bounded(byBytesArrived: counted.bytesToPort, atPort: scenario.transfer.port)
        }
        let checks = evaluation.checks(facts)

        var result = CaseResult(
            name: testCase.name, scenario: scenario.path, scenarioName: scenario.name, transport: testCase.transport.rawValue,
            bufferSize: testCase.bufferSize, repetitions: scenario.transfer.repetitions, isolation: hosts.mode.rawValue,
            checks: checks, incorrect: facts.verified.incorrect, verified: facts.verified,
            serverTimes: facts.server.times, clientTimes: facts.client.times, serverAverage: facts.server.average,
            clientAverage: facts.client.average, duration: Date().timeIntervalSince(started), folder: folder,
            serverRecent: facts.server.recent, clientRecent: facts.client.recent,
            droppedOutput: facts.droppedOutput, loss: testCase.loss, impairment: testCase.impairmentDescription,
            counters: scenario.server == nil
                ? PairCounters.load(server: "\(folder)/server.json", client: "\(folder)/client.json") : nil)
        result.submission = submission?.name
        result.line = scenario.line
        result.startedAt = started
        if result.passed && !options.keep && scenario.server == nil {
            OpenFolder.removeTree(storeFolder)
        }
        result.duration = Date().timeIntervalSince(started)
        return result
    }

    /// Connection counters in the server's namespace; why not, in host isolation.
    /// - Throws: in namespaces, when nftables cannot count: the checks that rest on the counters
    ///   (connections, real_address, the bytes behind the copies) must not quietly go unjudged.
    private func flowCounters(_ hosts: CaseHosts) throws -> Result<FlowCounters, FerryError> {
        guard let pair = hosts.pair else {
            return .failure(FerryError("counting connections needs namespace isolation; this case runs on this machine's own network"))
        }
        return .success(try FlowCounters(
            namespace: pair.serverNamespace, port: scenario.transfer.port, serverIP: hosts.serverIP,
            fromOutsideOnly: !pair.isShared))
    }

    /// The checks made while running the sides, in order.
    static let runCheckNames = [CheckName.start(.server), CheckName.serverReady, CheckName.start(.client), CheckName.timeLimit]

    /// Another program's command, run with line-buffered output as on a terminal, where its author
    /// saw it: into a pipe, C's stdio would hold its lines back (the ready line among them) until
    /// it exits or is killed. coreutils' `stdbuf -oL -eL` does that for stdio; Python is told by
    /// `PYTHONUNBUFFERED=1`. Ferry's own sides hold and write their lines themselves.
    static func lineBuffered(_ command: [String], if foreign: Bool) -> [String] {
        guard foreign, let stdbuf = ChildProcess.locate("stdbuf") else { return command }
        return [stdbuf, "-oL", "-eL"] + command
    }

    private static func environment(_ spec: CommandSpec?) -> [String: String] {
        var environment = ["PYTHONUNBUFFERED": "1"]
        environment.merge(spec?.environment ?? [:]) { $1 }
        return environment
    }

    /// The children of a case and what running them showed.
    private struct Sides {
        var server: ChildProcess?
        var client: ChildProcess?
        var serverEnd: Termination?
        var clientEnd: Termination?
        var checks: [Check] = []
        /// Why the transfers did not run, if they did not.
        var blocker: String?
    }

    private func runSides(
        onServer: ([String]) -> [String], onClient: ([String]) -> [String], serverCommand: [String], clientCommand: [String], serverFolder: String, clientFolder: String,
        environments: ([String: String], [String: String]), deadline: Date, captures: (server: SideCapture, client: SideCapture)
    ) -> Sides {
        var sides = Sides()
        do {
            sides.server = try ChildProcess(
                arguments: onServer(Self.lineBuffered(serverCommand, if: scenario.server != nil)), environment: environments.0,
                workingDirectory: serverFolder, output: captures.server.output)
            sides.checks.append(Check(name: CheckName.start(.server), passed: true, detail: "started"))
        } catch {
            sides.checks.append(Check(name: CheckName.start(.server), passed: false, detail: "\(error)"))
            sides.blocker = "the server did not start"
            return sides
        }
        guard let server = sides.server else { return sides }
        defer { server.stop() }
        let observer = captures.server.observer
        let progressKey = options.progress?.begin(testCase.name, repetitions: scenario.transfer.repetitions) { observer.progress }
        defer { if let progressKey { options.progress?.end(progressKey) } }
        let readyLimit = Date().addingTimeInterval(scenario.timeouts.ready)
        let limitText = readyLimit <= deadline
            ? "within \(Formatting.fixed(scenario.timeouts.ready, decimals: 1)) s"
            : "within the case limit of \(Formatting.fixed(scenario.timeouts.caseLimit, decimals: 1)) s"
        if let problem = waitUntilReady(server, until: min(deadline, readyLimit), limitText: limitText) {
            sides.serverEnd = server.stop()
            let stderr = captures.server.observer.stderr
            sides.checks.append(Check(
                name: CheckName.serverReady, passed: false, detail: problem + CaseEvaluation.lastError(stderr.lastError),
                context: stderr.tail.map(\.quoted)))
            sides.blocker = "the server never became ready"
            return sides
        }
        sides.checks.append(Check(name: CheckName.serverReady, passed: true, detail: "ready"))

        do {
            sides.client = try ChildProcess(
                arguments: onClient(Self.lineBuffered(clientCommand, if: scenario.client != nil)), environment: environments.1,
                workingDirectory: clientFolder, output: captures.client.output)
            sides.checks.append(Check(name: CheckName.start(.client), passed: true, detail: "started"))
        } catch {
            sides.checks.append(Check(name: CheckName.start(.client), passed: false, detail: "\(error)"))
            sides.serverEnd = server.stop()
            sides.blocker = "the client did not start"
            return sides
        }
        guard let client = sides.client else { return sides }
        defer { client.stop() }
        sides.clientEnd = client.wait(until: deadline)
        if sides.clientEnd != nil {
            sides.serverEnd = server.wait(until: min(deadline, Date().addingTimeInterval(Self.serverExitGrace)))
        }
        let limit = Formatting.fixed(scenario.timeouts.caseLimit, decimals: 1)
        let detail: String?
        switch (sides.clientEnd, sides.serverEnd) {
        case (nil, _): detail = "the client was still running at the case limit of \(limit) s; both sides were stopped"
        case (_, nil) where Date() >= deadline: detail = "the server was still running at the case limit of \(limit) s; it was stopped"
        case (_, nil): detail = "the server did not exit within \(Int(Self.serverExitGrace)) s after the client finished; it was stopped"
        default: detail = nil
        }
        sides.checks.append(Check(name: CheckName.timeLimit, passed: detail == nil, detail: detail ?? "finished within \(limit) s"))
        if sides.clientEnd == nil { sides.clientEnd = client.stop() }
        if sides.serverEnd == nil { _ = server.stop() }
        return sides
    }

    /// The line that says the server is ready; nil: the port accepting connections says it.
    private var readyLine: String? { scenario.server.map { $0.ready } ?? Messages.serverReady.text }

    /// The ready line looked for in every server line as it arrives; nil without one.
    private func readyWatch() -> (@Sendable (CapturedLine) -> Bool)? {
        guard let readyLine else { return nil }
        let normalizer = LineNormalizer(testCase.expectations.match)
        let wanted = normalizer.normalize(readyLine)
        return { $0.stream == .stdout && TextSearch.contains(normalizer.normalize($0.text), wanted) }
    }

    /// nil when the server is ready; otherwise why not.
    private func waitUntilReady(_ server: ChildProcess, until deadline: Date, limitText: String) -> String? {
        if let readyLine {
            if server.output.waitForWatched(until: deadline) { return nil }
            // Its pipes closed: it has ended or is about to be reaped.
            _ = server.waitForExit(until: min(deadline, Date().addingTimeInterval(1)))
            if let end = server.termination { return "the server ended (\(end)) before printing its ready line \"\(readyLine)\"" }
            return "the server did not print its ready line \"\(readyLine)\" \(limitText)"
        }
        let port = scenario.transfer.port
        if ReadinessProbe.waitUntilListening(server, port: port, datagram: testCase.transport.isDatagram, until: deadline) { return nil }
        if let end = server.termination { return "the server ended (\(end)) before listening on port \(port)" }
        return "the server did not listen on port \(scenario.transfer.port) \(limitText)"
    }

    /// Placeholder values known before the hosts are made.
    private func baseValues() -> [String: String] {
        var values = [
            "port": String(scenario.transfer.port),
            "file": URL(fileURLWithPath: scenario.transfer.file).lastPathComponent, "file_path": scenario.transfer.file,
            "standard_path": scenario.transfer.standard, "repetitions": String(scenario.transfer.repetitions),
            "buffer_size": String(testCase.bufferSize), "protocol": testCase.transport.rawValue,
        ]
        if let submission {
            values["submission"] = submission.path
            values["submission_name"] = submission.name
        }
        return values
    }

    /// Where the server stores its copies, and how the copies are named.
    private func store(values: [String: String], serverFolder: String) -> (StoreSpec, String) {
        // Ferry's own server names copy n `sample.n.txt`: verified by name, without listing the folder into memory.
        let own = CopyStore.namePattern(standardName: URL(fileURLWithPath: scenario.transfer.standard).lastPathComponent)
            .map { StoreSpec.pattern("\(serverFolder)/received/\($0)") } ?? .folder("\(serverFolder)/received")
        let spec = scenario.server == nil ? own : (scenario.server?.store ?? .folder("received"))
        return (spec, Self.resolve(Placeholders.expand(spec.folder, with: values), in: serverFolder))
    }

    /// Both sides' commands with every placeholder filled, before they are wrapped for their hosts:
    /// a side on another machine runs Ferry's binaries copied there and writes its results there.
    private func commands(
        serverValues: [String: String], clientValues: [String: String], remote: RemoteCase = .none
    ) -> (server: [String], client: [String]) {
        let server = scenario.server?.command
            ?? ownServerCommand(binaries: remote.server?.binaries ?? options.binaries, folder: remote.server?.folder ?? folder)
        let client = scenario.client?.command
            ?? ownClientCommand(binaries: remote.client?.binaries ?? options.binaries, folder: remote.client?.folder ?? folder)
        return (server.map { Placeholders.expand($0, with: serverValues) }, client.map { Placeholders.expand($0, with: clientValues) })
    }

    /// What `run` would do, made and run nothing: `runner --dry-run`.
    public struct Plan: Sendable {
        public var serverIP, clientIP: String
        public var serverCommand, clientCommand: [String]
        public var serverFolder, clientFolder, storeFolder: String
    }

    /// The case's plan: addresses, both commands with placeholders filled, folders.
    /// - Throws: in host mode, when `server_ip` names no address of this machine.
    public func plan() throws -> Plan {
        var values = baseValues()
        // A remote server's address is the scenario's (`auto`: asked from that machine when run).
        let (server, client) = try scenario.hosts.server != nil
            ? (scenario.network.serverIP ?? "auto", scenario.network.serverIP ?? "auto")
            : CaseHosts.addresses(mode, scenario.network)
        values["server_ip"] = server
        values["client_ip"] = client
        // Sides on other machines: their folders, files and binaries there, as a run would make them.
        let remote = scenario.hosts.anyRemote ? RemoteCase.planned(scenario, caseFolder: Self.folderName(testCase.name)) : .none
        let serverFolder = remote.server?.folder
            ?? scenario.server.map { SideWorkspace(side: .server, spec: $0, caseFolder: folder).folder } ?? folder
        let clientFolder = remote.client?.folder
            ?? scenario.client.map { SideWorkspace(side: .client, spec: $0, caseFolder: folder).folder } ?? folder
        values["store"] = store(values: values, serverFolder: serverFolder).1
        let (serverCommand, clientCommand) = commands(
            serverValues: remote.values(values, for: .server), clientValues: remote.values(values, for: .client), remote: remote)
        return Plan(serverIP: server, clientIP: client, serverCommand: serverCommand, clientCommand: clientCommand,
                    serverFolder: serverFolder, clientFolder: clientFolder, storeFolder: values["store"]!)
    }

    private func ownServerCommand(binaries: String, folder: String) -> [String] {
        ["\(binaries)/server", "--ip", "{server_ip}", "--port", "{port}", "--standard", "{standard_path}",
         "--count", "{repetitions}", "--buffer-size", "{buffer_size}", "--store", "{store}", "--json", "\(folder)/server.json",
         "--protocol", "{protocol}"] + impairedLinkOptions
    }

    private func ownClientCommand(binaries: String, folder: String) -> [String] {
        ["\(binaries)/client", "--server", "{server_ip}", "--port", "{port}", "--file", "{file_path}",
         "--count", "{repetitions}", "--buffer-size", "{buffer_size}", "--json", "\(folder)/client.json",
         "--protocol", "{protocol}"] + impairedLinkOptions
    }

    /// On an impaired link Ferry's own sides wait longer for a silent peer: at 5% loss both ways,
    /// TCP's doubling retransmission timer (0.2, 0.4, ... 6.4 s) can leave a connection silent for
    /// more than the default 10 s, and that transfer is slow, not lost.
    static let impairedIdleTimeout = "60s"

    private var impairedLinkOptions: [String] {
        scenario.network.impair == nil ? [] : ["--idle-timeout", Self.impairedIdleTimeout]
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
        return result.isEmpty || result.allSatisfy({ $0 == "." }) ? "case" : result
    }

    static func resolve(_ path: String, in folder: String) -> String {
        path.hasPrefix("/") ? path : URL(fileURLWithPath: folder).appendingPathComponent(path).standardizedFileURL.path
    }

}
