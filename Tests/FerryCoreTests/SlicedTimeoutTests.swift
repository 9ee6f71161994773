import FerryCore
import FerryTestSupport
import Foundation
import Glibc
import Testing

@Suite struct SlicedTimeoutTests {
    @Test func withoutALimitTheFirstTimeoutEndsTheSend() {
        var stall = SlicedTimeout.none
        let mayWait = stall.mayWait(now: 5_000_000_000)
        #expect(!mayWait)
    }

    @Test func slicesAreRetriedUntilTheLimitPassesWithoutProgress() {
        var stall = SlicedTimeout(limit: 10_000_000_000, slice: 1_500_000_000)
        // The first timed-out slice began 1.5 s before it ended.
        let answers = [101_500_000_000, 109_900_000_000, 110_100_000_000].map { stall.mayWait(now: $0) }
        #expect(answers == [true, true, false])
        // Progress starts the count again.
        stall.progressed()
        let afterProgress = stall.mayWait(now: 200_000_000_000)
        #expect(afterProgress)
    }
}

/// The client keeps its send timeout at the connect bound (1.5 s) and waits in slices: a server
/// that stops reading for longer than a slice, but less than the idle timeout, still gets the file.
@Suite(.serialized) struct StalledReceiverTests {
    @Test func aSendStalledLongerThanTheConnectBoundGoesOn() throws {
        ProcessSetup.ignoreBrokenPipes()
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let size = 16 << 20
        let file = try folder.makePatternFile("big.bin", size: size)
        let port = try freeLoopbackPort()
        let address = try SocketAddress(host: "127.0.0.1", port: port)
        let listener = try Socket(family: AF_INET, type: SOCK_STREAM, context: "fake server")
        defer { listener.close() }
        try listener.setReuseAddress()
        // A small receive buffer, so the client's sends block while the server sleeps.
        try listener.setOption(SOL_SOCKET, SO_RCVBUF, 65_536, label: "SO_RCVBUF")
        try listener.bind(to: address)
        try listener.listen()
        let server = BackgroundRun { () throws -> Int in
            let (connection, _) = try listener.accept()
            defer { connection.close() }
            Thread.sleep(forTimeInterval: 3)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
            defer { buffer.deallocate() }
            var total = 0
            let expected = TransferHeader(transfer: 1, size: UInt64(size), name: "big.bin").encoded().count + size
            while total < expected {
                let got = try connection.receive(into: buffer)
                if got == 0 { break }
                total += got
            }
            try Verdict(status: .identical, detail: 0, transfer: 1, received: UInt64(size)).encoded().withUnsafeBytes { try connection.send($0) }
            return total
        }
        let sink = RecordingSink()
        let configuration = ClientConfiguration(server: address, filePath: file, count: 1)
        let results = try TransferClient(configuration: configuration, sink: sink).run()
        let received = try server.join()
        #expect(received == TransferHeader(transfer: 1, size: UInt64(size), name: "big.bin").encoded().count + size)
        #expect(results.transfers.first?.verdict == .identical, "\(sink.lines)")
    }
}
