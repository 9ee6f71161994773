import FerryCore
import FerryRunner
import Foundation
import Glibc

/// What `bench` was asked to do.
public struct BenchOptions: Sendable {
    /// Rounds per size; the median of the rounds is reported.
    public var rounds: Int
    /// Folder with the anchors (`cfast.c`, `py_server.py`, `py_client.py`); nil: ours only.
    public var anchors: String?
    /// Folder with Ferry's release executables.
    public var binaries: String
    /// Scratch folder for files and copies.
    public var workFolder: String
    /// Sizes in bytes and transfer counts to run.
    public var sizes: [(bytes: Int, count: Int)]
    /// Also measure the 1 GiB memory run, iperf3, the runner overhead and the datagram protocols.
    public var extras: Bool
    /// What the work folder lies on, for the report's machine lines.
    public var fileSystem: String

    public init(
        rounds: Int, anchors: String?, binaries: String, workFolder: String, sizes: [(bytes: Int, count: Int)], extras: Bool,
        fileSystem: String
    ) {
        self.rounds = rounds
        self.anchors = anchors
        self.binaries = binaries
        self.workFolder = workFolder
        self.sizes = sizes
        self.extras = extras
        self.fileSystem = fileSystem
    }

    /// The machine line of a bench on a `ScratchFileSystem`.
    public static let scratchFileSystem = "copies and work files on a fresh ext4 with a journal, on a loop device the bench made"
    /// The machine line of a bench with `--host-file-system`.
    public static let hostFileSystem = "copies and work files on the work folder's own file system (--host-file-system)"

    /// 1 byte × 1000, 64 KiB × 100, 1 MiB × 100, 100 MiB × 10.
    public static let standardSizes: [(bytes: Int, count: Int)] = [(1, 1000), (64 << 10, 100), (1 << 20, 100), (100 << 20, 10)]
}

/// One run of a contender: the client's average and the server's peak resident memory.
public struct Measurement: Sendable {
    public var clientAverageMs: Double
    public var serverPeakKiB: Int?
    /// From starting the client to its exit.
    public var clientWallSeconds: Double
    /// What the server printed.
    public var serverLines: [String]
}

/// Runs the transfer pair of Ferry and of the anchors side by side on one veth pair between two
/// namespaces, alternating them round by round, and reports medians.
public final class Benchmark {
    let options: BenchOptions
    let pair: NamespacePair
    let log: (String) -> Void
    var port = 6100

    public init(options: BenchOptions, log: @escaping (String) -> Void) throws {
        self.options = options
        self.log = log
        try FileManager.default.createDirectory(atPath: options.workFolder, withIntermediateDirectories: true)
        pair = try NamespacePair(serverAddress: "10.99.0.2", clientAddress: "10.99.0.1")
    }

    /// Removes the namespaces. Call once.
    public func close() { pair.remove() }

    /// A file of `bytes` with a fixed pattern, made once.
    func file(_ bytes: Int) throws -> String {
        let path = "\(options.workFolder)/file-\(bytes).bin"
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size == bytes { return path }
        try PatternFile.write(path, size: bytes)
        return path
    }

    /// Runs `contender` once: `count` transfers of `path`.
    public func measure(_ contender: Contender, file path: String, count: Int) throws -> Measurement {
        port += 1
        settle(path)
        let store = "\(options.workFolder)/store-\(contender.name)"
        try? FileManager.default.removeItem(atPath: store)
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: store) }
        let server = try ChildProcess(arguments: pair.inServer(contender.server(pair.serverAddress, port, path, count, store)),
                                      workingDirectory: options.workFolder)
        defer { server.stop() }
        let readyBy = Date().addingTimeInterval(20)
        if let line = contender.readyLine {
            guard server.output.waitForLine(until: readyBy, where: { $0.text == line }) else {
                throw FerryError("\(contender.name) server not ready: \(server.output.snapshot.map(\.text).suffix(3))")
            }
        } else {
            guard ReadinessProbe.waitUntilListening(server, port: port, until: readyBy) else {
                throw FerryError("\(contender.name) server never listened")
            }
        }
        let clientStarted = Date()
        let client = try ChildProcess(arguments: pair.inClient(contender.client(pair.serverAddress, port, path, count)))
        defer { client.stop() }
        var clientEnded: Date?
        var peak: Int?
        let deadline = Date().addingTimeInterval(600)
        // VmHWM is the kernel's own high-water mark, so a look every 20 ms misses nothing but the
        // last 20 ms; between looks the loop waits on the client's exit, which it times.
        while (client.isRunning || server.isRunning) && Date() < deadline {
            if let now = PeakMemory.residentKiB("\(server.pid)") { peak = max(peak ?? 0, now) }
            let next = Date().addingTimeInterval(0.02)
            if clientEnded == nil {
                if client.waitForExit(until: next) { clientEnded = Date() }
            } else if server.waitForExit(until: next) {
                break
            }
        }
        let lines = client.output.snapshot.filter { $0.stream == .stdout }.map(\.text)
        guard client.wait(until: deadline) == .exited(0), let average = contender.average(lines) else {
            throw FerryError("\(contender.name) client failed: \(client.output.snapshot.map(\.text).suffix(3))")
        }
        _ = server.wait(until: Date().addingTimeInterval(10))
        return Measurement(
            clientAverageMs: average, serverPeakKiB: peak,
            clientWallSeconds: (clientEnded ?? Date()).timeIntervalSince(clientStarted),
            serverLines: server.output.snapshot.filter { $0.stream == .stdout }.map(\.text))
    }

    /// Gives every run the same page cache: dirty pages of earlier runs written back, clean ones
    /// dropped (root only), and the file to send read back in. Without this, a run pays for the
    /// write-back and reclaim of the runs before it, and the figures scatter.
    func settle(_ path: String) {
        sync()
        if let handle = FileHandle(forWritingAtPath: "/proc/sys/vm/drop_caches") {
            try? handle.write(contentsOf: Data("3\n".utf8))
            try? handle.close()
        }
        if let handle = FileHandle(forReadingAtPath: path) {
            while let block = try? handle.read(upToCount: 8 << 20), !block.isEmpty {}
            try? handle.close()
        }
    }

    /// The median of `values`.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
