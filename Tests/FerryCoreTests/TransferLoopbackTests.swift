import FerryCore
import FerryTestSupport
import Foundation
import Glibc
import Testing

/// Server and client in this process over loopback: behaviour with good and bad peers.
@Suite(.serialized) struct TransferLoopbackTests {
    let folder: TemporaryDirectory
    let standard: String

    init() throws {
        // As in the executables: a peer that closes early is an error, not the end of the process.
        ProcessSetup.ignoreBrokenPipes()
        folder = try TemporaryDirectory()
        standard = try folder.makePatternFile("sample.txt", size: 100_000)
    }

    private func serverConfiguration(port: UInt16, count: Int, idle: UInt64 = 5_000_000_000) throws -> ServerConfiguration {
        ServerConfiguration(
            address: try SocketAddress(host: "127.0.0.1", port: port), standardPath: standard, count: count,
            storeDirectory: folder.file("store"), bufferSize: 4096, idleTimeout: idle)
    }

    private func startServer(_ configuration: ServerConfiguration, sink: RecordingSink) -> BackgroundRun<ResultsFile> {
        let run = BackgroundRun { try TransferServer(configuration: configuration, sink: sink).run() }
        // The client retries its connect, so no wait for the ready line is needed here.
        return run
    }

    /// A server for `count` transfers on a free loopback port, `configure`d, started and ready.
    private func startReadyServer(
        count: Int, idle: UInt64 = 5_000_000_000, _ configure: (inout ServerConfiguration) -> Void = { _ in }
    ) throws -> (BackgroundRun<ResultsFile>, RecordingSink, UInt16) {
        let port = try freeLoopbackPort()
        var configuration = try serverConfiguration(port: port, count: count, idle: idle)
        configure(&configuration)
        let sink = RecordingSink()
        let server = startServer(configuration, sink: sink)
        #expect(sink.waitForLine(Messages.serverReady.text))
        return (server, sink, port)
    }

    /// A udp or rudp server for `count` transfers, started and ready.
    private func startDatagramServer(
        _ transport: TransportProtocol, count: Int
    ) throws -> (BackgroundRun<ResultsFile>, RecordingSink, UInt16) {
        try startReadyServer(count: count) { $0.transport = transport }
    }

    private func runClient(port: UInt16, file: String, count: Int) throws -> (ResultsFile, RecordingSink) {
        let sink = RecordingSink()
        let configuration = ClientConfiguration(
            server: try SocketAddress(host: "127.0.0.1", port: port), filePath: file, count: count, bufferSize: 1000)
        return (try TransferClient(configuration: configuration, sink: sink).run(), sink)
    }

    @Test func goodTransfersAreIdenticalAndStored() throws {
        defer { folder.remove() }
        let port = try freeLoopbackPort()
        let serverSink = RecordingSink()
        let server = startServer(try serverConfiguration(port: port, count: 3), sink: serverSink)
        let (client, clientSink) = try runClient(port: port, file: standard, count: 3)
        let results = try server.join()

        #expect(results.summary.incorrect == 0)
        #expect(results.transfers.map(\.verdict) == [.identical, .identical, .identical])
        #expect(client.transfers.map(\.verdict) == [.identical, .identical, .identical])
        let stored = try FileManager.default.contentsOfDirectory(atPath: folder.file("store")).sorted()
        #expect(stored == ["sample.1.txt", "sample.2.txt", "sample.3.txt"])
        #expect(FileManager.default.contentsEqual(atPath: folder.file("store/sample.2.txt"), andPath: standard))
        #expect(serverSink.lines.first == "I am ready for any client side request")
        #expect(serverSink.lines.last == "I am done")
        #expect(serverSink.lines.contains("Incorrect transfers: 0 of 3 (error rate 0.00%)"))
        #expect(clientSink.lines.first == "I am connecting to server side: 127.0.0.1")
        #expect(clientSink.lines.contains("The server's verdict on \"sample.txt\" for the 3rd time: identical"))
    }

    /// Opens a raw connection, sends `bytes`, optionally waits, and returns the verdict if one came.
    private func rawPeer(port: UInt16, send bytes: [UInt8], thenWait: Bool = true) throws -> Verdict? {
        let socket = try Socket(family: AF_INET, type: SOCK_STREAM, context: "peer")
        defer { socket.close() }
        try socket.connect(to: SocketAddress(host: "127.0.0.1", port: port), timeoutNanoseconds: 2_000_000_000)
        try bytes.withUnsafeBytes { try socket.send($0) }
        guard thenWait else { return nil }
        var reply = [UInt8](repeating: 0, count: Verdict.length)
        let got = try reply.withUnsafeMutableBytes { try socket.receiveFully(into: $0) }
        return got == Verdict.length ? reply.withUnsafeBytes { Verdict.decode($0) } : nil
    }

    @Test func badPeersAreCountedAndTheServerCarriesOn() throws {
        defer { folder.remove() }
        let (server, sink, port) = try startReadyServer(count: 5, idle: 300_000_000) { $0.headerTimeout = 300_000_000 }

        let slash = TransferHeader(transfer: 1, size: 10, name: "../../etc/passwd").encoded()
        #expect(try rawPeer(port: port, send: slash)?.status == .refused)
        #expect(try rawPeer(port: port, send: Array("GET / HTTP/1.1\r\n\r\n!!!!".utf8))?.detail == HeaderRefusal.badMagic.rawValue)
        let huge = TransferHeader(transfer: 3, size: 17 << 30, name: "sample.txt").encoded()
        #expect(try rawPeer(port: port, send: huge)?.detail == HeaderRefusal.tooLarge.rawValue)
        // Announces 100000 bytes, sends 10, closes: the partial bytes are kept under a name that says so.
        _ = try rawPeer(port: port, send: TransferHeader(transfer: 4, size: 100_000, name: "sample.txt").encoded() + [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], thenWait: false)
        // Sends half a header, then goes silent past the header timeout: dropped, no verdict, not counted.
        let silent = try rawPeer(port: port, send: Array(TransferHeader(transfer: 5, size: 1, name: "a").encoded().prefix(9)))
        #expect(silent == nil)
        // Connects and closes without a byte: not a transfer.
        _ = try rawPeer(port: port, send: [], thenWait: false)
        let (client, _) = try runClient(port: port, file: standard, count: 1)
        let results = try server.join()

        #expect(sink.diagnostics.contains { $0.hasSuffix("closed without sending anything; not counted as a transfer") })
        #expect(client.transfers.first?.verdict == .identical)
        #expect(results.transfers.map(\.verdict) == [.refused, .refused, .refused, .incomplete, .identical])
        #expect(results.summary.incorrect == 4)
        #expect(sink.lines.contains("Incorrect transfers: 4 of 5 (error rate 80.00%)"))
        #expect(sink.diagnostics.contains { $0.contains("file name contains '/'") })
        #expect(sink.diagnostics.contains { $0.contains("sent no complete header within 0.3 s (--header-timeout); dropped; not counted") })
        let stored = try FileManager.default.contentsOfDirectory(atPath: folder.file("store")).sorted()
        #expect(stored == ["sample.4.txt.partial", "sample.5.txt"])
        #expect(FileManager.default.contents(atPath: folder.file("store/sample.4.txt.partial")) == Data([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))
        // Every transfer has its three required lines, refused ones too.
        for n in 1...5 {
            #expect(sink.lines.contains { $0.hasPrefix("I am finishing receiving file") && $0.hasSuffix("for the \(Formatting.ordinal(n)) time") })
        }
    }

    @Test func aDifferentCopyIsStoredAndCountedIncorrect() throws {
        defer { folder.remove() }
        let port = try freeLoopbackPort()
        var bytes = [UInt8](FileManager.default.contents(atPath: standard)!)
        bytes[bytes.count - 1] ^= 1
        try FileManager.default.createDirectory(atPath: folder.file("other"), withIntermediateDirectories: true)
        let other = try folder.write("other/sample.txt", bytes: bytes)
        let server = startServer(try serverConfiguration(port: port, count: 2), sink: RecordingSink())
        let (client, clientSink) = try runClient(port: port, file: other, count: 2)
        let results = try server.join()
        #expect(results.transfers.map(\.verdict) == [.different, .different])
        #expect(client.transfers.map(\.verdict) == [.different, .different])
        #expect(clientSink.lines.contains("The server's verdict on \"sample.txt\" for the 1st time: different"))
        #expect(FileManager.default.fileExists(atPath: folder.file("store/sample.2.txt")))
    }

    @Test func portInUseIsOneLineWithTheAddress() throws {
        defer { folder.remove() }
        let port = try freeLoopbackPort()
        let holder = try Socket(family: AF_INET, type: SOCK_STREAM, context: "holder")
        defer { holder.close() }
        try holder.bind(to: SocketAddress(host: "127.0.0.1", port: port))
        try holder.listen()
        let error = #expect(throws: SystemError.self) {
            try TransferServer(configuration: try serverConfiguration(port: port, count: 1), sink: RecordingSink()).run()
        }
        #expect(error?.description == "bind 127.0.0.1:\(port): Address already in use")
    }

    @Test func unreachableServerFailsWithinTheTimeout() throws {
        defer { folder.remove() }
        let port = try freeLoopbackPort()
        let configuration = ClientConfiguration(
            server: try SocketAddress(host: "127.0.0.1", port: port), filePath: standard, count: 1,
            connectTimeout: 200_000_000)
        let error = #expect(throws: FerryError.self) { try TransferClient(configuration: configuration, sink: RecordingSink()).run() }
        #expect(error?.message == "cannot reach the server at 127.0.0.1:\(port) within 0.2 s: connect 127.0.0.1:\(port): Connection refused; "
            + "is the server running, not finished with its --count, and using the same --port and --protocol (tcp)?")
    }

    /// A web server where a Ferry server should be: the client stops at its first answer.
    @Test func anAnswerThatIsNotAVerdictStopsTheClient() throws {
        defer { folder.remove() }
        let port = try freeLoopbackPort()
        let listener = try Socket(family: AF_INET, type: SOCK_STREAM, context: "web")
        defer { listener.close() }
        try listener.bind(to: SocketAddress(host: "127.0.0.1", port: port))
        try listener.listen()
        let accepted = BackgroundRun { () -> Int in
            var connections = 0
            // Answers every connection made within half a second, so a client that went on would be counted.
            while connections < 5 {
                guard try listener.waitReadable(nanoseconds: 500_000_000) else { break }
                let (peer, _) = try listener.accept()
                connections += 1
                let answer = Array("HTTP/1.1 400 Bad Request\r\n\r\n".utf8)
                try answer.withUnsafeBytes { try peer.send($0) }
                peer.close()
            }
            return connections
        }
        let configuration = ClientConfiguration(
            server: try SocketAddress(host: "127.0.0.1", port: port), filePath: standard, count: 5, connectTimeout: 1_000_000_000)
        let error = #expect(throws: FerryError.self) { try TransferClient(configuration: configuration, sink: RecordingSink()).run() }
        #expect(error?.message == "127.0.0.1:\(port) answered transfer 1 with bytes that are not a Ferry verdict "
            + "(\"HTTP/1.1 400 Bad…\"): is a Ferry server listening there with --protocol tcp? stopping")
        #expect(try accepted.join() == 1)
    }

    @Test func aDatagramThatIsNotFerrysStopsTheClient() throws {
        defer { folder.remove() }
        let port = try freeLoopbackPort()
        let echo = try Socket(family: AF_INET, type: SOCK_DGRAM, context: "echo")
        defer { echo.close() }
        try echo.bind(to: SocketAddress(host: "127.0.0.1", port: port))
        let answered = BackgroundRun { () -> Int in
            var buffer = [UInt8](repeating: 0, count: 2048)
            var answers = 0
            while try echo.waitReadable(nanoseconds: 500_000_000) {
                guard let (_, sender) = try buffer.withUnsafeMutableBytes({ try echo.receiveDatagram(into: $0) }) else { continue }
                try ([0x00, 0xFF, 0x10] as [UInt8]).withUnsafeBytes { try echo.sendDatagram($0, to: sender) }
                answers += 1
            }
            return answers
        }
        let configuration = ClientConfiguration(
            server: try SocketAddress(host: "127.0.0.1", port: port), filePath: standard, count: 5, connectTimeout: 2_000_000_000,
            transport: .udp)
        let error = #expect(throws: FerryError.self) { try TransferClient(configuration: configuration, sink: RecordingSink()).run() }
        #expect(error?.message == "127.0.0.1:\(port) answered transfer 1 with bytes that are not a Ferry datagram (00 ff 10): "
            + "is a Ferry server listening there with --protocol udp? stopping")
        #expect(try answered.join() == 1)
    }

    @Test func unreadableFileIsReported() throws {
        defer { folder.remove() }
        let configuration = ClientConfiguration(
            server: try SocketAddress(host: "127.0.0.1", port: 9), filePath: folder.file("missing.txt"), count: 1)
        let error = #expect(throws: SystemError.self) { try TransferClient(configuration: configuration, sink: RecordingSink()).run() }
        #expect(error?.description == "open \(folder.file("missing.txt")): No such file or directory")
    }

    @Test(arguments: [TransportProtocol.udp, .rudp])
    func datagramServerRefusesABadStartAndCarriesOn(transport: TransportProtocol) throws {
        defer { folder.remove() }
        // One transfer to serve: the refused start must not take its place.
        let (server, sink, port) = try startDatagramServer(transport, count: 1)
        // 100000 bytes cannot be 3 segments of 1400.
        let socket = try Socket(family: AF_INET, type: SOCK_DGRAM, context: "peer")
        defer { socket.close() }
        try socket.connectDatagram(to: SocketAddress(host: "127.0.0.1", port: port))
        try Datagram.start(transfer: 1, size: 100_000, segments: 3, payloadSize: 1400, name: "sample.txt").encoded()
            .withUnsafeBytes { try socket.sendDatagram($0) }
        var reply = [UInt8](repeating: 0, count: 128)
        #expect(try socket.waitReadable(nanoseconds: 2_000_000_000))
        let got = try reply.withUnsafeMutableBytes { try socket.receiveDatagram(into: $0) }
        let verdict = reply.withUnsafeBytes { Datagram.decode(UnsafeRawBufferPointer(rebasing: $0[0..<(got?.count ?? 0)])) }
        guard case .verdict(let refused) = verdict else {
            Issue.record("no verdict: \(String(describing: verdict))")
            return
        }
        #expect(refused.status == .refused && refused.detail == HeaderRefusal.inconsistentSegments.rawValue)
        let clientSink = RecordingSink()
        let client = try TransferClient(
            configuration: ClientConfiguration(
                server: try SocketAddress(host: "127.0.0.1", port: port), filePath: standard, count: 1, bufferSize: 1400,
                transport: transport),
            sink: clientSink
        ).run()
        let results = try server.join()
        #expect(results.transfers.map(\.verdict) == [.identical])
        #expect(results.refused.map(\.reason) == [HeaderRefusal.inconsistentSegments.description])
        #expect(sink.diagnostics.contains { $0.hasPrefix("server: refused a start from 127.0.0.1:") && $0.hasSuffix("not counted") })
        #expect(client.transfers.first?.datagrams?.expected == 72)
        // rudp may retransmit (and the server see duplicates) when the machine is slow: what must
        // hold is that every segment arrived.
        #expect(sink.lines.contains { $0.hasPrefix("The datagrams of \"sample.txt\" for the 1st time: 72 expected, 72 received, 0 lost, ") })
    }

    /// A raw udp client: transfer 1, then transfer 2 with a late, corrupt datagram of transfer 1
    /// mixed in first. The late one must not touch copy 2.
    @Test func lateDatagramsOfAnEarlierTransferAreNotMixedIn() throws {
        defer { folder.remove() }
        let (server, _, port) = try startDatagramServer(.udp, count: 2)
        let bytes = [UInt8](FileManager.default.contents(atPath: standard)!)
        let payload = 1000
        let segments = (bytes.count + payload - 1) / payload
        let socket = try Socket(family: AF_INET, type: SOCK_DGRAM, context: "peer")
        defer { socket.close() }
        try socket.connectDatagram(to: SocketAddress(host: "127.0.0.1", port: port))
        func send(_ datagram: Datagram) throws { try datagram.encoded().withUnsafeBytes { try socket.sendDatagram($0) } }
        func awaitReply() throws -> Datagram? {
            var reply = [UInt8](repeating: 0, count: 256)
            guard try socket.waitReadable(nanoseconds: 2_000_000_000) else { return nil }
            let got = try reply.withUnsafeMutableBytes { try socket.receiveDatagram(into: $0) }
            return reply.withUnsafeBytes { Datagram.decode(UnsafeRawBufferPointer(rebasing: $0[0..<(got?.count ?? 0)])) }
        }
        func data(_ transfer: UInt32, _ sequence: Int) -> Datagram {
            let start = sequence * payload
            return .data(transfer: transfer, sequence: UInt32(sequence), offset: UInt64(start),
                         payload: bytes[start..<min(start + payload, bytes.count)])
        }
        var verdicts: [DatagramVerdict] = []
        for transfer in [1, 2] as [UInt32] {
            try send(.start(transfer: transfer, size: UInt64(bytes.count), segments: UInt32(segments), payloadSize: UInt32(payload), name: "sample.txt"))
            // Skip the copies of transfer 1's verdict (udp sends it three times).
            var reply = try awaitReply()
            while case .verdict = reply { reply = try awaitReply() }
            #expect(reply == .ready(transfer: transfer))
            if transfer == 2 {
                try send(.data(transfer: 1, sequence: 0, offset: 0, payload: ArraySlice(repeating: 0x21, count: payload)))
            }
            for sequence in 0..<segments { try send(data(transfer, sequence)) }
            try send(.end(transfer: transfer, size: UInt64(bytes.count), segments: UInt32(segments)))
            while let reply = try awaitReply() {
                if case .verdict(let verdict) = reply, verdict.transfer == transfer {
                    verdicts.append(verdict)
                    break
                }
            }
        }
        let results = try server.join()
        #expect(verdicts.map(\.status) == [.identical, .identical])
        #expect(verdicts.last?.duplicated == 0 && verdicts.last?.arrived == UInt32(segments))
        #expect(results.transfers.map(\.verdict) == [.identical, .identical])
        #expect(FileManager.default.contentsEqual(atPath: folder.file("store/sample.2.txt"), andPath: standard))
    }

    /// rudp: a client whose last verdict was lost sends `end` again; the server, done with its
    /// transfers, is still there to answer.
    @Test func rudpServerAnswersARepeatedEndAfterItsLastTransfer() throws {
        defer { folder.remove() }
        let bytes = [UInt8]("tiny".utf8)
        try FileManager.default.removeItem(atPath: standard)
        try folder.write("sample.txt", bytes: bytes)
        let (server, _, port) = try startDatagramServer(.rudp, count: 1)
        let socket = try datagramPeer(port)
        defer { socket.close() }
        #expect(try exchange(socket, .start(transfer: 1, size: 4, segments: 1, payloadSize: 1400, name: "sample.txt")) { $0 == .ready(transfer: 1) } != nil)
        #expect(try exchange(socket, .data(transfer: 1, sequence: 0, offset: 0, payload: bytes[...])) { if case .ack = $0 { true } else { false } } != nil)
        let first = try exchange(socket, .end(transfer: 1, size: 4, segments: 1), until: isVerdict)
        // The server's only transfer is done; without lingering it would have closed its socket by now.
        usleep(200_000)
        let again = try exchange(socket, .end(transfer: 1, size: 4, segments: 1), until: isVerdict)
        #expect(first != nil && again == first)
        #expect(try server.join().transfers.map(\.verdict) == [.identical])
    }

    /// A raw datagram peer on loopback.
    private func datagramPeer(_ port: UInt16) throws -> Socket {
        let socket = try Socket(family: AF_INET, type: SOCK_DGRAM, context: "peer")
        try socket.connectDatagram(to: SocketAddress(host: "127.0.0.1", port: port))
        return socket
    }

    /// Sends `datagram` from `socket` and returns the first answer that `wanted` accepts.
    private func exchange(_ socket: Socket, _ datagram: Datagram?, until wanted: (Datagram) -> Bool) throws -> Datagram? {
        if let datagram { try datagram.encoded().withUnsafeBytes { try socket.sendDatagram($0) } }
        var reply = [UInt8](repeating: 0, count: 256)
        while try socket.waitReadable(nanoseconds: 2_000_000_000) {
            guard let got = try reply.withUnsafeMutableBytes({ try socket.receiveDatagram(into: $0) }) else { continue }
            if let decoded = reply.withUnsafeBytes({ Datagram.decode(UnsafeRawBufferPointer(rebasing: $0[0..<got.count])) }), wanted(decoded) {
                return decoded
            }
        }
        return nil
    }

    private func isVerdict(_ datagram: Datagram) -> Bool { if case .verdict = datagram { true } else { false } }

    /// A verdict on `transfer` (earlier verdicts come three times and may still be waiting).
    private func isVerdict(on transfer: UInt32) -> (Datagram) -> Bool {
        { datagram in if case .verdict(let verdict) = datagram { verdict.transfer == transfer } else { false } }
    }

    /// A forged `start` (and `end`) from another address while a transfer runs changes nothing:
    /// the stranger is told `busy`, the transfer goes on and is the only one counted.
    @Test(arguments: [TransportProtocol.udp, .rudp])
    func aStrangersStartDoesNotEndATransfer(transport: TransportProtocol) throws {
        defer { folder.remove() }
        let bytes: [UInt8] = Array("four".utf8)
        try FileManager.default.removeItem(atPath: standard)
        try folder.write("sample.txt", bytes: bytes)
        let (server, _, port) = try startDatagramServer(transport, count: 1)
        let owner = try datagramPeer(port)
        defer { owner.close() }
        let stranger = try datagramPeer(port)
        defer { stranger.close() }
        let start = Datagram.start(transfer: 1, size: 4, segments: 1, payloadSize: 1400, name: "sample.txt")
        #expect(try exchange(owner, start) { $0 == .ready(transfer: 1) } != nil)
        let busy = try exchange(stranger, start, until: isVerdict)
        guard case .verdict(let refused)? = busy else { Issue.record("no verdict for the stranger"); return }
        #expect(refused.status == .refused && refused.detail == HeaderRefusal.busy.rawValue)
        try Datagram.end(transfer: 1, size: 4, segments: 1).encoded().withUnsafeBytes { try stranger.sendDatagram($0) }
        try Datagram.data(transfer: 1, sequence: 0, offset: 0, payload: bytes[...]).encoded().withUnsafeBytes { try owner.sendDatagram($0) }
        let verdict = try exchange(owner, .end(transfer: 1, size: 4, segments: 1), until: isVerdict)
        guard case .verdict(let owned)? = verdict else { Issue.record("no verdict for the owner"); return }
        #expect(owned.status == .identical)
        let results = try server.join()
        #expect(results.transfers.map(\.verdict) == [.identical])
        #expect(results.refused.map(\.detail) == [HeaderRefusal.busy.rawValue])
    }

    /// Five refused starts do not end a server that serves five transfers; a start with a bad
    /// name gets its refusal verdict; a forged huge start leaves no file larger than what came.
    @Test func refusedStartsAreNotCountedAndForgedSizesCostNothing() throws {
        defer { folder.remove() }
        let (server, _, port) = try startDatagramServer(.udp, count: 1)
        let peer = try datagramPeer(port)
        defer { peer.close() }
        for transfer in UInt32(1)...5 {
            let bad = Datagram.start(transfer: transfer, size: 100_000, segments: 3, payloadSize: 1400, name: "sample.txt")
            #expect(try exchange(peer, bad, until: isVerdict(on: transfer)) != nil)
        }
        // A name with a bidirectional control character: a verdict, not silence.
        let named = Datagram.start(transfer: 6, size: 4, segments: 1, payloadSize: 1400, name: "evil\u{202E}txt.exe")
        guard case .verdict(let refusal)? = try exchange(peer, named, until: isVerdict(on: 6)) else { Issue.record("no verdict"); return }
        #expect(refusal.detail == HeaderRefusal.nameHasControlCharacter.rawValue)
        // 2^32 - 1 segments of 4 bytes, then one datagram far beyond anything that arrived.
        let huge = Datagram.start(transfer: 7, size: 4 * UInt64(UInt32.max), segments: UInt32.max, payloadSize: 4, name: "sample.txt")
        #expect(try exchange(peer, huge) { $0 == .ready(transfer: 7) } != nil)
        let far = UInt32.max - 2
        try Datagram.data(transfer: 7, sequence: far, offset: UInt64(far) * 4, payload: [1, 2, 3, 4][...]).encoded()
            .withUnsafeBytes { try peer.sendDatagram($0) }
        #expect(try exchange(peer, .end(transfer: 7, size: 4 * UInt64(UInt32.max), segments: UInt32.max), until: isVerdict(on: 7)) != nil)
        let results = try server.join()
        #expect(results.transfers.map(\.verdict) == [.incomplete])
        #expect(results.refused.count == 6)
        let partial = try FileManager.default.attributesOfItem(atPath: folder.file("store/sample.1.txt.partial"))
        #expect((partial[.size] as? Int) == 0)
    }

    /// The verdict and the end of the stream come together (one segment), so a client's close is
    /// always the second and TIME_WAIT stays on the server: when the client closed first, tens
    /// of thousands of its TIME_WAIT sockets slowed every `connect` (docs/performance.md).
    @Test func theStreamHasEndedWhenTheVerdictIsRead() throws {
        defer { folder.remove() }
        let port = try freeLoopbackPort()
        let count = 30
        let sink = RecordingSink()
        let server = startServer(try serverConfiguration(port: port, count: count), sink: sink)
        #expect(sink.waitForLine(Messages.serverReady.text))
        let message = TransferHeader(transfer: 1, size: 5, name: "sample.txt").encoded() + Array("short".utf8)
        var endedWithTheVerdict = 0
        for _ in 0..<count {
            let socket = try Socket(family: AF_INET, type: SOCK_STREAM, context: "peer")
            defer { socket.close() }
            try socket.connect(to: SocketAddress(host: "127.0.0.1", port: port), timeoutNanoseconds: 2_000_000_000)
            try message.withUnsafeBytes { try socket.send($0) }
            var reply = [UInt8](repeating: 0, count: Verdict.length)
            let got = try reply.withUnsafeMutableBytes { try socket.receiveFully(into: $0) }
            #expect(got == Verdict.length)
            // Not waiting: the end must already be there.
            var byte: UInt8 = 0
            if try withUnsafeMutableBytes(of: &byte, { try socket.receiveWaiting(into: $0) }) == 0 { endedWithTheVerdict += 1 }
        }
        #expect(endedWithTheVerdict == count)
        #expect(try server.join().transfers.count == count)
    }

    /// A verdict on a connection with bytes still unread (a refusal after the header, a store
    /// failure, a peer sending more than it announced) is sent at once: held back to go with the
    /// FIN, it would be thrown away by the reset that closing with unread data sends.
    @Test func aRefusedHeaderWithItsPayloadStillGetsItsVerdict() throws {
        defer { folder.remove() }
        let (server, _, port) = try startReadyServer(count: 2) { $0.maximumSize = 50_000 }
        let payload = [UInt8](repeating: 7, count: 100_000)
        let tooLarge = TransferHeader(transfer: 1, size: UInt64(payload.count), name: "sample.txt").encoded() + payload
        #expect(try rawPeer(port: port, send: tooLarge)?.detail == HeaderRefusal.tooLarge.rawValue)
        // More than announced: the copy is judged on what was announced, and the verdict still comes.
        let more = TransferHeader(transfer: 2, size: 10, name: "sample.txt").encoded() + payload
        #expect(try rawPeer(port: port, send: more)?.status == .different)
        #expect(try server.join().transfers.map(\.verdict) == [.refused, .different])
    }

    /// The server's sockets wait in slices of 50 ms (`SlicedTimeout`): a peer silent for longer than
    /// a slice is still served, and one silent past the idle timeout is cut off with its own line.
    @Test func theIdleTimeoutIsKeptSliceBySlice() throws {
        defer { folder.remove() }
        let port = try freeLoopbackPort()
        let sink = RecordingSink()
        let server = startServer(try serverConfiguration(port: port, count: 2, idle: 400_000_000), sink: sink)
        #expect(sink.waitForLine(Messages.serverReady.text))
        let content = try [UInt8](Data(contentsOf: URL(fileURLWithPath: standard)))
        let header = TransferHeader(transfer: 1, size: UInt64(content.count), name: "sample.txt").encoded()
        let address = try SocketAddress(host: "127.0.0.1", port: port)
        // Silent for 250 ms twice, five slices each: less than the idle timeout each time.
        let pausing = try Socket(family: AF_INET, type: SOCK_STREAM, context: "pausing")
        defer { pausing.close() }
        try pausing.connect(to: address, timeoutNanoseconds: 2_000_000_000)
        try (header + content.prefix(1000)).withUnsafeBytes { try pausing.send($0) }
        usleep(250_000)
        try Array(content[1000..<50_000]).withUnsafeBytes { try pausing.send($0) }
        usleep(250_000)
        try Array(content[50_000...]).withUnsafeBytes { try pausing.send($0) }
        var reply = [UInt8](repeating: 0, count: Verdict.length)
        _ = try reply.withUnsafeMutableBytes { try pausing.receiveFully(into: $0) }
        #expect(reply.withUnsafeBytes { Verdict.decode($0) }?.status == .identical)
        // Silent after half the file: cut off after the idle timeout, not at the first slice.
        let started = MonotonicClock.now()
        let half = TransferHeader(transfer: 2, size: UInt64(content.count), name: "sample.txt").encoded() + content.prefix(50_000)
        let stalled = try rawPeer(port: port, send: half)
        let waited = MonotonicClock.now() - started
        #expect(stalled?.status == .incomplete)
        #expect(waited >= 400_000_000, "cut off after \(waited) ns")
        let results = try server.join()
        #expect(results.transfers.map(\.verdict) == [.identical, .incomplete])
        #expect(sink.diagnostics.contains { $0.contains("peer silent for 0.4 s (idle timeout)") }, "\(sink.diagnostics)")
    }

    /// Eight silent connections and one that drips its header a byte at a time, inside the idle
    /// timeout: a correct client is still served, and none of them is counted.
    @Test func slowPeersDoNotHoldACorrectClient() throws {
        defer { folder.remove() }
        let port = try freeLoopbackPort()
        let sink = RecordingSink()
        let server = startServer(try serverConfiguration(port: port, count: 1), sink: sink)
        #expect(sink.waitForLine(Messages.serverReady.text))
        let address = try SocketAddress(host: "127.0.0.1", port: port)
        var silent: [Socket] = []
        defer { for socket in silent { socket.close() } }
        for _ in 0..<8 {
            let socket = try Socket(family: AF_INET, type: SOCK_STREAM, context: "silent")
            try socket.connect(to: address, timeoutNanoseconds: 2_000_000_000)
            silent.append(socket)
        }
        let dripper = try Socket(family: AF_INET, type: SOCK_STREAM, context: "dripper")
        defer { dripper.close() }
        try dripper.connect(to: address, timeoutNanoseconds: 2_000_000_000)
        let header = TransferHeader(transfer: 1, size: 100_000, name: "sample.txt").encoded()
        let dripping = BackgroundRun {
            for byte in header.prefix(12) {
                try [byte].withUnsafeBytes { try dripper.send($0) }
                usleep(300_000)
            }
        }
        // The client has its usual 5 s to connect; the slow peers must not use them up.
        let client = try TransferClient(
            configuration: ClientConfiguration(server: address, filePath: standard, count: 1), sink: RecordingSink()
        ).run()
        #expect(client.transfers.map(\.verdict) == [.identical])
        let results = try server.join()
        #expect(results.transfers.map(\.verdict) == [.identical])
        _ = try? dripping.join()
    }

    @Test func aHeaderThatNeverCompletesIsDroppedAfterTheHeaderTimeout() throws {
        defer { folder.remove() }
        let (server, sink, port) = try startReadyServer(count: 1) { $0.headerTimeout = 200_000_000 }
        let address = try SocketAddress(host: "127.0.0.1", port: port)
        // Come after the server has been quiet for a while (it then waits without a time limit
        // while nobody waits for a header): the header time must still be kept.
        usleep(150_000)
        let silent = try Socket(family: AF_INET, type: SOCK_STREAM, context: "silent")
        defer { silent.close() }
        try silent.connect(to: address, timeoutNanoseconds: 2_000_000_000)
        try silent.setIdleTimeout(nanoseconds: 3_000_000_000)
        try [UInt8]("FRY".utf8).withUnsafeBytes { try silent.send($0) }
        // Its connection is closed by the server: the read sees the end.
        var byte: UInt8 = 0
        #expect(try withUnsafeMutableBytes(of: &byte) { try silent.receive(into: $0) } == 0)
        #expect(sink.diagnostics.contains { $0.contains("sent no complete header within 0.2 s (--header-timeout); dropped; not counted as a transfer") })
        _ = try TransferClient(configuration: ClientConfiguration(server: address, filePath: standard, count: 1), sink: RecordingSink()).run()
        #expect(try server.join().transfers.map(\.verdict) == [.identical])
    }
}
