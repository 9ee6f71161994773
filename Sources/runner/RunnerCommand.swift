import ArgumentParser
import FerryCLI
import FerryCore
import FerryRunner
import FerryScenario
import Foundation
import Glibc

@main
struct RunnerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runner",
        abstract: "Run YAML scenarios: make the hosts, run server and client, check their output and the stored copies.",
        discussion: """
            Exit status: 0 all cases passed, 1 a case failed, 2 a scenario is invalid, 3 this machine cannot run it.
            See docs/runner.md and docs/scenario-format.md.
            """,
        version: FerryVersion.string)

    @Argument(help: "Scenario files (YAML), run in order.")
    var files: [String]

    @OptionGroup var reports: ReportOptions

    @Option(name: .customLong("work-dir"), help: "Folder for case logs and copies (default: a fresh folder under runs/).")
    var workDir: String?

    @Flag(help: "Keep the copies of passing cases too (failing cases always keep theirs).")
    var keep = false

    @Flag(name: .shortAndLong, help: "Print only failures and the summary.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Also print every check of every case.")
    var verbose = false

    @Option(help: ArgumentHelp(
        "Judge every immediate subfolder of this folder with the scenarios ({submission}, {submission_name}); writes scores.csv into the work folder.",
        valueName: "folder"))
    var submissions: String?

    @Option(help: ArgumentHelp(
        "Write a Gradescope-style results.json here; with --submissions, one per submission in the work folder.", valueName: "path"))
    var score: String?

    @Option(help: "Cases or submissions run at once, each in its own namespaces.")
    var jobs = 1

    @Flag(name: .customLong("judge-times"), help: "Judge timing budgets (max_average_ms) even with --jobs above 1.")
    var judgeTimes = false

    @Flag(help: "List the cases each file expands to (protocol, buffer, loss), run nothing.")
    var list = false

    @Option(help: ArgumentHelp("Run only the cases whose names match this glob (e.g. 'tcp-vs-udp\\[udp*'; once).", valueName: "pattern"))
    var filter: [String] = []

    @Flag(name: .customLong("fail-fast"), help: "Start no further case after the first that fails.")
    var failFast = false

    @Option(name: .customLong("remote-binaries"), help: ArgumentHelp(
        "Folder with server and client built to run without Swift, copied to remote hosts (default: .build/dist, made by make dist).",
        valueName: "folder"))
    var remoteBinaries: String?

    @Flag(name: .customLong("fetch-copies"), help: "Remote hosts: fetch the copies and verify them here, not by their SHA-256 there.")
    var fetchCopies = false

    @Flag(name: .customLong("no-color"), help: "No colour on a terminal (as with NO_COLOR set).")
    var noColor = false

    @Flag(name: .customLong("dry-run"), help: "Validate, then print each case's hosts, addresses and both commands with placeholders filled; run nothing.")
    var dryRun = false

    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a scenario value by its dotted path (VALUE is YAML), validated like the file; repeatable.",
        valueName: "key=value"))
    var set: [String] = []

    func validate() throws {
        guard !(quiet && verbose) else { throw ValidationError("--quiet and --verbose exclude each other") }
        guard !files.isEmpty else { throw ValidationError("name at least one scenario file") }
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be 1 to 64, not \(jobs)") }
        // One pattern: a second would silently replace the first.
        guard filter.count <= 1 else { throw ValidationError("--filter given \(filter.count) times; give one pattern (a glob such as 'tcp-vs-udp\\[udp*')") }
    }

    static func main() { CommandLineEntry.main(Self.self, ignoreBrokenPipes: false) }

    func run() throws {
        SignalWatcher.install { signal in
            let name = SignalWatcher.name(signal)
            // Straight to stderr: the main thread may be adding to the stdout buffer. The progress
            // lines are lifted for good first, so nothing below is drawn over.
            InterruptedRun.shared.stopProgress()
            SignalWatcher.announce("runner: interrupted by \(name): stopping children and removing namespaces")
            ProcessRegistry.shared.stopAll()
            NamespaceRegistry.shared.removeAll()
            RemoteSessions.shared.closeAll()
            // CI still gets the reports of the cases that finished.
            InterruptedRun.shared.writeReports(because: "interrupted by \(name)")
            Glibc.exit(128 + signal)
        }
        let overrides: [ScenarioOverride]
        do {
            overrides = try set.map(ScenarioOverride.init)
        } catch {
            StandardStreams().diagnostic("runner: \(error)")
            throw ExitCode(2)
        }
        var options = RunOptions(
            workDirectory: workDir ?? Self.freshWorkDirectory(), keep: keep, binaries: ProcessSetup.binaryFolder(),
            verbosity: quiet ? 0 : verbose ? 2 : 1, jobs: jobs, judgeTimes: judgeTimes, filter: filter.first, failFast: failFast)
        options.overrides = overrides
        options.remoteBinaries = remoteBinaries.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? Self.distFolder()
        options.fetchCopies = fetchCopies
        if list {
            throw ExitCode(Runner.list(files, options: options, sink: StandardStreams()))
        }
        var request = RunRequest(
            files: files, junitPath: reports.junit, jsonPath: reports.json, htmlPath: reports.html, scorePath: score,
            submissionsFolder: submissions, options: options)
        request.github = reports.github || ProcessInfo.processInfo.environment["GITHUB_ACTIONS"] == "true"
        request.dryRun = dryRun
        request.style = TerminalStyle.forStandardOutput(noColor: noColor)
        // On a terminal, a live line per running case; into a pipe or a file, plain lines only.
        var sink: LineSink = StandardStreams()
        let board = isatty(STDOUT_FILENO) == 1 && !quiet && !dryRun
            ? ProgressBoard(style: request.style, write: StandardStreams.writeNow)
            : nil
        if let board {
            request.options.progress = board
            sink = board.sink(wrapping: sink)
            board.start()
        }
        let status = Runner.execute(request, sink: sink)
        board?.stop()
        SignalWatcher.yieldToInterruption()
        NamespaceRegistry.shared.removeAll()
        throw ExitCode(status)
    }

    /// `.build/dist` of the package this runner was built in (`make dist` puts the binaries there).
    static func distFolder() -> String {
        var folder = URL(fileURLWithPath: ProcessSetup.binaryFolder()).resolvingSymlinksInPath()
        while folder.path != "/" && folder.lastPathComponent != ".build" { folder.deleteLastPathComponent() }
        return folder.path == "/" ? "\(ProcessSetup.binaryFolder())/dist" : folder.appendingPathComponent("dist").path
    }

    /// `runs/20261126-021500-3fa9c2`.
    static func freshWorkDirectory() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        let stamp = String(format: "%04d%02d%02d-%02d%02d%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                           parts.tm_hour, parts.tm_min, parts.tm_sec)
        return "runs/\(stamp)-\(NamespacePair.newToken())"
    }
}

struct ReportOptions: ParsableArguments {
    @Option(help: "Write a JUnit XML report here.")
    var junit: String?

    @Option(help: "Write a JSON report here.")
    var json: String?

    @Option(help: "Write an HTML report with per-transfer charts here.")
    var html: String?

    @Flag(help: "Print a GitHub Actions ::error line for every failed check (on by itself when GITHUB_ACTIONS=true).")
    var github = false
}
