import ArgumentParser
import FerryBench
import FerryCLI
import FerryCore
import FerryRunner
import Foundation
import Glibc

@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Ferry's transfer pair beside the anchors (plain C, Python) on a veth pair between two namespaces.",
        discussion: "Needs root. Run through 'make bench', which builds the release executables first. See docs/performance.md.",
        version: FerryVersion.string)

    @Option(help: "Rounds per size (per count with --scale); medians are reported.")
    var rounds = 5

    @Option(help: "Folder with the anchors cfast.c, py_server.py, py_client.py (default: $FERRY_ANCHORS, else ../shared/anchors).")
    var anchors: String?

    @Option(name: .customLong("work-dir"), help: "Scratch folder for test files and copies; the bench's own file system is fs.img, mounted at fs, locked by fs.lock in it.")
    var workDir = "/tmp/ferry-bench"

    @Flag(help: ArgumentHelp(
        "Measure on the work folder's own file system instead of a fresh ext4 with a journal that the bench makes on a loop device there.",
        discussion: "The default keeps the figures free of the host's file system and of what earlier runs removed: see docs/performance.md."))
    var hostFileSystem = false

    @Flag(help: "Only the four transfer sizes: skip the memory, iperf3, runner and datagram measurements.")
    var transfersOnly = false

    @Flag(help: "Instead: the runner grading 8 copies of scenarios/grading's example submission with --jobs 1 and --jobs 4.")
    var grading = false

    @Flag(help: "Instead: system calls per transfer of each side, Ferry beside cfast, counted with strace -c -f (1 byte and 64 KiB).")
    var syscalls = false

    @Flag(help: "Instead: many transfers of 1 byte, Ferry's pair alone and judged by the runner: the runner's memory and what it costs the measurement.")
    var scale = false

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Transfer counts for --scale.", valueName: "count"))
    var counts: [Int] = [10_000, 100_000, 1_000_000]

    static func main() { CommandLineEntry.main(Self.self) }

    /// What an interrupted bench says it does.
    static let interruptedCleanUp = "stopping children, removing namespaces and the scratch file system"

    func validate() throws {
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        guard counts.allSatisfy({ (1...1_000_000).contains($0) }) else { throw ValidationError("--counts must be from 1 to 1000000") }
    }

    func run() throws {
        // Interrupted, the bench leaves nothing behind: its children stopped (a runner among them
        // removes its own namespaces on SIGTERM), its namespaces and its scratch file system removed.
        SignalWatcher.install { signal in
            SignalWatcher.announce("bench: interrupted by \(SignalWatcher.name(signal)): \(Self.interruptedCleanUp)")
            ProcessRegistry.shared.stopAll()
            NamespaceRegistry.shared.removeAll()
            ScratchFileSystem.removeAll()
            Glibc.exit(128 + signal)
        }
        // A run the signal broke (a child stopped under it) must not end the bench with its own
        // error first: the handler's thread owns the exit then.
        defer { SignalWatcher.yieldToInterruption() }
        let environment = ProcessInfo.processInfo.environment
        let binaries = ProcessSetup.binaryFolder()
        // Absolute: the contenders run in the work folder.
        let anchorFolder = URL(fileURLWithPath: anchors ?? environment["FERRY_ANCHORS"] ?? "../shared/anchors").standardizedFileURL.path
        let sink = StandardStreams()
        if grading {
            let bench = GradingBench(binaries: binaries, example: "scenarios/grading", workFolder: "\(workDir)/grading", rounds: rounds)
            for line in try bench.report(log: { sink.diagnostic($0) }) { sink.out(line) }
            return
        }
        // Everything but grading measures on a file system of its own, made fresh for this bench.
        let scratch = hostFileSystem ? nil : try ScratchFileSystem(at: "\(workDir)/fs")
        defer { scratch?.remove() }
        let options = BenchOptions(
            rounds: rounds, anchors: FileManager.default.fileExists(atPath: anchorFolder) ? anchorFolder : nil, binaries: binaries,
            workFolder: scratch?.mountPoint ?? workDir, sizes: BenchOptions.standardSizes, extras: !transfersOnly,
            fileSystem: scratch == nil ? BenchOptions.hostFileSystem : BenchOptions.scratchFileSystem)
        let bench = try Benchmark(options: options, log: { sink.diagnostic($0) })
        defer { bench.close() }
        if scale {
            let scaleBench = ScaleBench(bench: bench, counts: counts, rounds: rounds, scenario: "scenarios/default.yaml")
            for line in try scaleBench.report(log: { sink.diagnostic($0) }) { sink.out(line) }
            return
        }
        for line in try (syscalls ? bench.syscallReport() : bench.report()) { sink.out(line) }
    }
}
