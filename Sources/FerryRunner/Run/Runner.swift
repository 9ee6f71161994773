import FerryCore
import FerryScenario
import Foundation

/// What `runner` was asked to do.
public struct RunRequest: Sendable {
    public var files: [String]
    public var junitPath: String?
    public var jsonPath: String?
    public var htmlPath: String?
    public var options: RunOptions

    public init(files: [String], junitPath: String?, jsonPath: String?, htmlPath: String?, options: RunOptions) {
        self.files = files
        self.junitPath = junitPath
        self.jsonPath = jsonPath
        self.htmlPath = htmlPath
        self.options = options
    }
}

/// Runs every case of every scenario file in order and writes the reports.
///
/// Exit status: 0 all cases passed; 1 a case failed; 2 a scenario is invalid or names a missing
/// file; 3 this machine cannot run it (no privileges for namespaces, a missing tool).
public enum Runner {
    public static func execute(_ request: RunRequest, sink: LineSink) -> Int32 {
        let scenarios: [Scenario]
        do {
            scenarios = try loadAll(request.files)
        } catch {
            sink.diagnostic(describe(error))
            return 2
        }
        var results: [CaseResult] = []
        do {
            try checkBinaries(for: scenarios, in: request.options.binaries)
            let unavailable = scenarios.contains { $0.network.isolation != .host } ? Privileges.namespaceUnavailableReason() : nil
            let modes = try scenarios.map { try CaseHosts.choose($0.network.isolation, unavailableReason: unavailable) }
            try FileManager.default.createDirectory(atPath: request.options.workDirectory, withIntermediateDirectories: true)
            if request.options.verbosity > 0 { sink.out("work directory: \(request.options.workDirectory)") }
            sink.flush()
            for (scenario, (mode, note)) in zip(scenarios, modes) {
                if request.options.verbosity > 0 { sink.out("\(scenario.path): \(scenario.name): isolation \(note)") }
                for testCase in scenario.cases {
                    if request.options.verbosity > 1 { sink.out("RUN  \(testCase.name)") }
                    sink.flush()
                    let result = try CaseRunner(testCase: testCase, mode: mode, options: request.options).run()
                    results.append(result)
                    report(result, verbosity: request.options.verbosity, sink: sink)
                    sink.flush()
                }
            }
        } catch {
            sink.diagnostic(describe(error))
            writeReports(results, request, sink: sink)
            return (error as? FerryRunError)?.exitStatus ?? 3
        }
        if results.count > 1 && request.options.verbosity > 0 {
            ComparisonTable.lines(results).forEach(sink.out)
        }
        writeReports(results, request, sink: sink)
        sink.out(TerminalReport.summary(results))
        sink.flush()
        return results.allSatisfy(\.passed) ? 0 : 1
    }

    static func loadAll(_ files: [String]) throws -> [Scenario] {
        try files.map { path in
            do {
                return try ScenarioLoader.load(path: path)
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

    static func report(_ result: CaseResult, verbosity: Int, sink: LineSink) {
        if verbosity > 0 || !result.passed { sink.out(TerminalReport.caseLine(result)) }
        TerminalReport.failureLines(result).forEach(sink.out)
        if verbosity > 1 {
            for check in result.checks { sink.out("     \(check.passed ? "ok  " : "FAIL") \(check.name): \(check.detail)") }
        }
        if result.droppedOutput > 0 {
            sink.diagnostic("runner: \(result.name): output over the 16 MiB cap was dropped (\(result.droppedOutput) bytes)")
        }
    }

    static func writeReports(_ results: [CaseResult], _ request: RunRequest, sink: LineSink) {
        let outputs: [(String?, () throws -> Data)] = [
            (request.jsonPath, { try JSONReport.render(results) }),
            (request.junitPath, { Data(JUnitReport.render(results).utf8) }),
            (request.htmlPath, { Data(HTMLReport.render(results).utf8) }),
        ]
        for case let (path?, render) in outputs {
            do {
                try render().write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                sink.diagnostic("runner: \(path): cannot write the report: \(error.localizedDescription)")
            }
        }
    }

    static func describe(_ error: Error) -> String {
        if let error = error as? SourceError { return error.description }
        return "runner: \(error)"
    }
}
