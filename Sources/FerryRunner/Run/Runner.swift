import FerryCore
import FerryScenario
import Foundation

/// What `runner` was asked to do.
public struct RunRequest: Sendable {
    public var files: [String]
    public var junitPath: String?
    public var jsonPath: String?
    public var htmlPath: String?
    /// A Gradescope-style `results.json` (with `submissionsFolder`: one per submission in the work folder).
    public var scorePath: String?
    /// Judge every immediate subfolder of this folder with the scenarios (`--submissions`).
    public var submissionsFolder: String?
    public var options: RunOptions
    /// Print a GitHub Actions `::error` line for every failed check (`--github`, or
    /// automatically when `GITHUB_ACTIONS=true`).
    public var github = false
    /// Validate and print what each case would run (hosts, addresses, both commands), run nothing
    /// (`--dry-run`).
    public var dryRun = false
    /// Colour for the case and failure lines (on a terminal, unless `NO_COLOR` or `--no-color`).
    public var style = TerminalStyle.plain

    public init(
        files: [String], junitPath: String?, jsonPath: String?, htmlPath: String?, scorePath: String? = nil,
        submissionsFolder: String? = nil, options: RunOptions
    ) {
        self.files = files
        self.junitPath = junitPath
        self.jsonPath = jsonPath
        self.htmlPath = htmlPath
        self.scorePath = scorePath
        self.submissionsFolder = submissionsFolder
        self.options = options
    }
}

/// Runs every case of every scenario file in order and writes the reports.
///
/// Exit status: 0 all cases passed; 1 a case failed; 2 a scenario is invalid or names a missing
/// file; 3 this machine cannot run it (no privileges for namespaces, a missing tool).
public enum Runner {
    public static func execute(_ request: RunRequest, sink: LineSink) -> Int32 {
        // Whatever a run put on other machines is removed on every way out.
        defer { RemoteSessions.shared.closeAll() }
        var run = RunInfo()
        // Report paths first: a run must not take minutes and then fail to say how it went.
        if let problem = ReportPaths.problem(request) {
            sink.diagnostic("runner: \(problem)")
            return 2
        }
        /// Stops before judging: the reason goes to stderr and into every report.
        func stop(_ error: Error, status: Int32, results: [CaseResult]) -> Int32 {
            let description = describe(error)
            sink.diagnostic(description)
            // One line: a scenario error's source line and caret stay on stderr.
            run.error = description.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init)
            if let error = error as? SourceError {
                run.errorFile = error.path
                run.errorLine = error.mark.line
            }
            if request.github { GitHubAnnotations.lines(results, run: run).forEach(sink.out) }
            _ = writeReports(results, request, run: run, sink: sink)
            sink.flush()
            return status
        }
        let scenarios: [Scenario]
        let submissions: [Submission?]
        do {
            scenarios = try loadAll(request.files, overrides: request.options.overrides)
            submissions = try request.submissionsFolder.map {
                try Submissions.list(in: $0, notHolding: request.options.workDirectory, note: { sink.out($0) })
            } ?? [nil]
            try Submissions.checkPlaceholders(scenarios, judgingSubmissions: request.submissionsFolder != nil)
        } catch {
            return stop(error, status: 2, results: [])
        }
        var results: [CaseResult] = []
        do {
            try checkBinaries(for: scenarios, in: request.options.binaries)
            let unavailable = scenarios.contains { $0.network.isolation.makesNamespaces } ? Privileges.namespaceUnavailableReason() : nil
            // A side on another machine: the local side runs on this machine's own network.
            let modes = try scenarios.map { scenario in
                scenario.hosts.anyRemote
                    ? (CaseHosts.Mode.host, "host (a side runs on another machine)")
                    : try CaseHosts.choose(scenario.network.isolation, unavailableReason: unavailable)
            }
            for (scenario, (mode, note)) in zip(scenarios, modes)
            where mode == .host && scenario.cases.contains(where: { request.options.selects($0.name) }) {
                try checkHostIsolation(scenario, jobs: request.options.jobs, note: note)
            }
            let runners = submissions.flatMap { submission in
                zip(scenarios, modes).flatMap { scenario, mode in
                    scenario.cases.filter { request.options.selects($0.name) }
                        .map { CaseRunner(testCase: $0, mode: mode.0, options: request.options, submission: submission) }
                }
            }
            if runners.isEmpty, let filter = request.options.filter {
                throw FerryRunError.invalidScenario("--filter \(filter): no case matches")
            }
            if request.dryRun {
                for runner in runners { try DryRun.lines(runner).forEach(sink.out) }
                sink.flush()
                return 0
            }
            InterruptedRun.shared.begin(request, run)
            try makeWorkFolder(request.options.workDirectory)
            let lock = try WorkFolderLock(request.options.workDirectory)
            defer { lock.release() }
            if request.options.verbosity > 0 { sink.out("work directory: \(request.options.workDirectory)") }
            if request.options.verbosity > 0 {
                for (scenario, (_, note)) in zip(scenarios, modes) { sink.out("\(scenario.path): \(scenario.name): isolation \(note)") }
                if request.options.jobs > 1 && !request.options.judgeTimes && scenarios.contains(where: { $0.expect.maxAverageMs != nil }) {
                    sink.out("timing budgets (max_average_ms) are not judged with --jobs \(request.options.jobs); add --judge-times to judge them")
                }
            }
            sink.flush()
            var failure: Error?
            OrderedPool.run(count: runners.count, width: request.options.jobs, lockstep: request.options.failFast, work: { index in
                Result { try runners[index].run() }
            }, deliver: { index, outcome in
                switch outcome {
                case .success(let result):
                    // A case ended by an interruption is not reported: the signal thread writes
                    // the reports and exits.
                    SignalWatcher.yieldToInterruption()
                    results.append(result)
                    InterruptedRun.shared.finished(result)
                    report(result, verbosity: request.options.verbosity, style: request.style, sink: sink)
                    if let submission = runners[index].submission, index + 1 == runners.count || runners[index + 1].submission != submission {
                        let folder = URL(fileURLWithPath: runners[index].folder).deletingLastPathComponent().path
                        let cases = results.filter { URL(fileURLWithPath: $0.folder).deletingLastPathComponent().path == folder }
                        sink.out(ScoreReport.submissionLine(submission.name, cases))
                    }
                    sink.flush()
                    return result.passed || !request.options.failFast
                case .failure(let error):
                    failure = failure ?? error
                    return false
                }
            })
            if let failure { throw failure }
        } catch {
            return stop(error, status: (error as? FerryRunError)?.exitStatus ?? 3, results: results)
        }
        if results.count > 1 && request.options.verbosity > 0 && request.submissionsFolder == nil {
            ComparisonTable.lines(results).forEach(sink.out)
        }
        if request.github { GitHubAnnotations.lines(results, run: run).forEach(sink.out) }
        SignalWatcher.yieldToInterruption()
        let written = writeReports(results, request, run: run, sink: sink)
        sink.out(TerminalReport.summary(results))
        sink.flush()
        let status: Int32 = results.allSatisfy(\.passed) ? 0 : 1
        // A report CI cannot read must not pass for a green run.
        return written || status != 0 ? status : 3
    }

    /// Makes the work folder, or says in one line why it cannot.
    static func makeWorkFolder(_ path: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw FerryRunError.environment("--work-dir \(path): is a file, not a folder") }
            return
        }
        // Folder by folder, so the reason is the system's own for the first one that cannot be made.
        var made = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            made += "/\(part)"
            if mkdir(made, 0o755) != 0 && errno != EEXIST {
                throw FerryRunError.environment("--work-dir \(path): cannot make \(made): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Host isolation runs on this machine's own network: no host names, hosts files or
    /// parallel cases (they would share ports).
    static func checkHostIsolation(_ scenario: Scenario, jobs: Int, note: String) throws {
        let network = scenario.network
        do {
            // A remote server's address is that machine's, asked when its case runs.
            if scenario.hosts.server == nil { _ = try CaseHosts.addresses(.host, network) }
        } catch FerryRunError.environment(let reason) {
            // `host isolation: …` becomes `scenarios/default.yaml: isolation host (auto: …): …`.
            throw FerryRunError.environment("\(scenario.path): isolation \(note): " + reason.replacingOccurrences(of: "host isolation: ", with: ""))
        }
        if network.serverHostname != nil || network.clientHostname != nil || !network.hosts.isEmpty {
            throw FerryRunError.environment("\(scenario.path): network.hostnames and network.hosts need namespaces, but this run uses host isolation")
        }
        if jobs > 1 {
            throw FerryRunError.environment("\(scenario.path): --jobs \(jobs) needs namespaces (parallel cases on this machine's own network would share the port)")
        }
    }

    /// `--list`: the cases each file expands to, one line each, nothing run.
    /// - Returns: the exit status (2 when a file is invalid).
    public static func list(_ files: [String], options: RunOptions, sink: LineSink) -> Int32 {
        let scenarios: [Scenario]
        do {
            scenarios = try loadAll(files, overrides: options.overrides)
        } catch {
            sink.diagnostic(describe(error))
            return 2
        }
        for scenario in scenarios {
            for testCase in scenario.cases where options.selects(testCase.name) {
                let loss = testCase.loss.map { "  loss \(Scenario.percent($0))" } ?? ""
                sink.out("\(scenario.path): \(testCase.name)  \(testCase.transport.rawValue)  buffer \(testCase.bufferSize)\(loss)  "
                    + "\(scenario.transfer.repetitions) transfers")
            }
        }
        sink.flush()
        return 0
    }

    static func loadAll(_ files: [String], overrides: [ScenarioOverride] = []) throws -> [Scenario] {
        try files.map { path in
            do {
                return try ScenarioLoader.load(path: path, overrides: overrides)
            } catch let error as FerryError {
                throw FerryRunError.invalidScenario(error.message)
            }
        }
    }

    static func checkBinaries(for scenarios: [Scenario], in folder: String) throws {
        let needsOwn = scenarios.contains { $0.server == nil || $0.client == nil }
        guard needsOwn else { return }
        for name in ["server", "client"] where !FileManager.default.isExecutableFile(atPath: "\(folder)/\(name)") {
            throw FerryRunError.environment("Ferry's \(name) is not at \(folder)/\(name): build it first (swift build)")
        }
    }

    static func report(_ result: CaseResult, verbosity: Int, style: TerminalStyle, sink: LineSink) {
        if verbosity > 0 || !result.passed { sink.out(style.line(TerminalReport.caseLine(result))) }
        TerminalReport.failureLines(result).forEach { sink.out(style.line($0)) }
        if verbosity > 1 {
            for check in result.checks { sink.out("     \(TerminalReport.statusWord(check)) \(check.name): \(check.detail)") }
        }
        if result.droppedOutput > 0 {
            sink.diagnostic("runner: \(result.name): output past the logs' \(OutputLog.defaultCap >> 20) MiB was not written (\(result.droppedOutput) bytes); what needed it again was not judged")
        }
    }

    /// Writes every report asked for. - Returns: false when one could not be written (said on stderr).
    static func writeReports(_ results: [CaseResult], _ request: RunRequest, run: RunInfo, sink: LineSink) -> Bool {
        var outputs: [(String?, () throws -> Data)] = [
            (request.jsonPath, { try JSONReport.render(results, run: run) }),
            (request.junitPath, { Data(JUnitReport.render(results, run: run).utf8) }),
            (request.htmlPath, {
                Data(HTMLReport.render(results, run: run, folder: request.htmlPath.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }).utf8)
            }),
        ]
        if request.submissionsFolder != nil {
            let work = request.options.workDirectory
            outputs.append(("\(work)/\(ScoreReport.csvName)", { Data(ScoreReport.csv(results).utf8) }))
            if let scorePath = request.scorePath {
                let fileName = URL(fileURLWithPath: scorePath).lastPathComponent
                for (_, cases) in ScoreReport.bySubmission(results) {
                    guard let folder = cases.first.map({ URL(fileURLWithPath: $0.folder).deletingLastPathComponent().path }) else { continue }
                    outputs.append(("\(folder)/\(fileName)", { try ScoreReport.gradescope(cases) }))
                }
            }
        } else {
            outputs.append((request.scorePath, { try ScoreReport.gradescope(results) }))
        }
        var written = true
        for case let (path?, render) in outputs {
            do {
                try render().write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                sink.diagnostic("runner: \(path): cannot write the report: \(error.localizedDescription)")
                written = false
            }
        }
        return written
    }

    static func describe(_ error: Error) -> String {
        if let error = error as? SourceError { return error.description }
        return "runner: \(error)"
    }
}
