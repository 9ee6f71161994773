import FerryCore
import FerryTestSupport
import Foundation
import Glibc
import Testing

/// A store on a full device: a copy that does not fit is removed, not kept as a partial copy
/// that keeps the device full, and the next copy that fits is stored. Needs root (a small tmpfs).
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root to mount a small tmpfs"))
struct FullStoreTests {
    init() {
        // As in the executables: a peer that closes early is an error, not the end of the process.
        ProcessSetup.ignoreBrokenPipes()
        // A run that died before its `defer` leaves its tmpfs mounted: take it away now.
        let mounts = (try? String(contentsOfFile: "/proc/mounts", encoding: .utf8)) ?? ""
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count > 1, fields[1].contains("/ferry-full.") { umount2(String(fields[1]), Int32(MNT_DETACH)) }
        }
    }

    @Test func aCopyThatDoesNotFitIsRemovedAndTheNextOneIsStored() throws {
        let folder = try TemporaryDirectory("ferry-full")
        defer { folder.remove() }
        let standard = try folder.makePatternFile("sample.txt", size: 100_000)
        let store = folder.file("store")
        try FileManager.default.createDirectory(atPath: store, withIntermediateDirectories: true)
        // Room for one copy and a half.
        guard mount("tmpfs", store, "tmpfs", 0, "size=160k") == 0 else {
            Issue.record("mount tmpfs: \(String(cString: strerror(errno)))")
            return
        }
        defer { umount2(store, Int32(MNT_DETACH)) }
        let port = try freeLoopbackPort()
        let sink = RecordingSink()
        let configuration = ServerConfiguration(
            address: try SocketAddress(host: "127.0.0.1", port: port), standardPath: standard, count: 3, storeDirectory: store,
            bufferSize: 4096)
        let server = BackgroundRun { try TransferServer(configuration: configuration, sink: sink).run() }
        #expect(sink.waitForLine(Messages.serverReady.text))
        let send = {
            _ = try TransferClient(
                configuration: ClientConfiguration(server: try SocketAddress(host: "127.0.0.1", port: port), filePath: standard, count: 1),
                sink: RecordingSink()
            ).run()
        }
        try send()
        try send()
        // The second copy did not fit: nothing of it is left.
        #expect(try FileManager.default.contentsOfDirectory(atPath: store).sorted() == ["sample.1.txt"])
        try FileManager.default.removeItem(atPath: "\(store)/sample.1.txt")
        try send()
        let results = try server.join()
        #expect(results.transfers.map(\.verdict) == [.identical, .storeFailed, .identical])
        #expect(results.transfers[1].detail == CopyStore.outOfSpaceNote)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store).sorted() == ["sample.3.txt"])
    }
}
