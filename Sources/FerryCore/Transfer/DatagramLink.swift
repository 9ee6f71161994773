import Glibc

/// The client's side of a udp or rudp exchange on the wire: one connected datagram socket, the
/// buffers, and data segments sent in batches with UDP segmentation offload where the kernel
/// offers it. Knows datagrams, not transfers' phases (`DatagramSender`). Closed exactly once.
final class DatagramLink {
    private let payload: FilePayload
    private let socket: Socket
    /// Payload bytes per data datagram.
    private let payloadSize: Int
    private let sendBuffer: UnsafeMutableRawBufferPointer
    private let receiveBuffer: UnsafeMutableRawBufferPointer
    /// File bytes of one batch, read with one `pread`.
    private let staging: UnsafeMutableRawBufferPointer
    /// Header and payload of one data datagram.
    let slot: Int
    /// Datagrams handed to the kernel in one `send`: more than one with UDP segmentation offload
    /// (UDP_SEGMENT), where the kernel cuts one buffer into datagrams of `slot` bytes.
    private(set) var batch = 1
    /// The first datagram from the server's address that is not Ferry's protocol, since the last
    /// reset: the handshake stops at it (the socket is connected, so only that address reaches it).
    var foreignDatagram: [UInt8]?

    /// `SOL_UDP` and `UDP_SEGMENT` from <netinet/udp.h>, which Glibc's module does not export.
    private static let solUDP: Int32 = 17
    private static let udpSegment: Int32 = 103

    init(server: SocketAddress, payload: FilePayload, payloadSize: Int) throws {
        self.payload = payload
        self.payloadSize = payloadSize
        socket = try Socket(family: server.family, type: SOCK_DGRAM, context: server.description)
        socket.requestBufferSizes(4 << 20)
        do {
            try socket.connectDatagram(to: server)
        } catch {
            socket.close()
            throw error
        }
        slot = Datagram.dataHeaderLength + payloadSize
        if 2 * slot <= Datagram.maximumDatagram,
            (try? socket.setOption(Self.solUDP, Self.udpSegment, Int32(slot), label: "UDP_SEGMENT")) != nil
        {
            batch = min(64, Datagram.maximumDatagram / slot)
        }
        sendBuffer = .allocate(byteCount: batch * slot, alignment: 16)
        staging = .allocate(byteCount: batch * payloadSize, alignment: 16)
        receiveBuffer = .allocate(byteCount: 65_536, alignment: 16)
    }

    func close() {
        socket.close()
        sendBuffer.deallocate()
        staging.deallocate()
        receiveBuffer.deallocate()
    }

    func transmit(_ datagram: Datagram) throws {
        try datagram.encoded().withUnsafeBytes { try sendQuietly($0) }
    }

    /// Sends one datagram; a refusal by the kernel (ICMP port unreachable seen earlier) is not fatal.
    func sendQuietly(_ bytes: UnsafeRawBufferPointer) throws {
        do {
            try socket.sendDatagram(bytes)
        } catch let error as SystemError where error.code == ECONNREFUSED {
            return
        }
    }

    /// Sends the consecutive segments `first..<first + count`, `batch` at a time: one `pread` for
    /// their bytes, each given its header in the send buffer, one `send` for the lot.
    func transmitRun(_ transfer: UInt32, first: Int, count: Int) throws {
        let size = payloadSize
        var sequence = first
        while sequence < first + count {
            let take = min(batch, first + count - sequence)
            let offset = UInt64(sequence) * UInt64(size)
            let bytes = Int(min(UInt64(take * size), payload.size - offset))
            guard try payload.file.read(into: UnsafeMutableRawBufferPointer(rebasing: staging[0..<bytes]), at: offset) == bytes else {
                throw FerryError("\(payload.file.path): shrank while sending")
            }
            var total = 0
            for index in 0..<take {
                let length = min(size, bytes - index * size)
                let datagram = UnsafeMutableRawBufferPointer(rebasing: sendBuffer[index * slot..<index * slot + Datagram.dataHeaderLength + length])
                Datagram.writeDataHeader(
                    into: datagram, transfer: transfer, sequence: UInt32(sequence + index), offset: offset + UInt64(index * size))
                (datagram.baseAddress! + Datagram.dataHeaderLength).copyMemory(from: staging.baseAddress! + index * size, byteCount: length)
                total = index * slot + Datagram.dataHeaderLength + length
            }
            try sendBatch(UnsafeRawBufferPointer(rebasing: sendBuffer[0..<total]), datagrams: take)
            sequence += take
        }
    }

    /// Sends `datagrams` datagrams laid out `slot` bytes apart: in one call when segmentation
    /// offload is on, else one by one. Offload that the kernel refuses is turned off.
    func sendBatch(_ bytes: UnsafeRawBufferPointer, datagrams: Int) throws {
        if batch > 1 {
            do {
                try sendQuietly(bytes)
                return
            } catch let error as SystemError where error.code == EIO || error.code == EINVAL {
                try? socket.setOption(Self.solUDP, Self.udpSegment, 0, label: "UDP_SEGMENT")
                batch = 1
            }
        }
        var start = 0
        while start < bytes.count {
            let end = min(start + slot, bytes.count)
            try sendQuietly(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            start = end
        }
    }

    /// Sends `sequences`, grouping consecutive ones into runs.
    func transmitRuns(_ transfer: UInt32, _ sequences: [Int]) throws {
        var index = 0
        while index < sequences.count {
            var end = index + 1
            while end < sequences.count && sequences[end] == sequences[end - 1] + 1 { end += 1 }
            try transmitRun(transfer, first: sequences[index], count: end - index)
            index = end
        }
    }

    /// The next datagram for `transfer` that arrives before `deadline` (monotonic nanoseconds);
    /// others are dropped. Nil at the deadline, also when it has already passed.
    func receive(for transfer: UInt32, until deadline: UInt64) -> Datagram? {
        while true {
            if let (count, _) = try? socket.receiveDatagram(into: receiveBuffer) {
                let bytes = UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<count])
                if let datagram = Datagram.decode(bytes) {
                    if datagram.transfer == transfer { return datagram }
                } else if foreignDatagram == nil {
                    foreignDatagram = Array(bytes)
                }
            }
            let now = MonotonicClock.now()
            if now >= deadline { return nil }
            _ = try? socket.waitReadable(nanoseconds: deadline - now)
        }
    }

    /// Sends `request` again and again, waiting `wait` after each (doubling up to `maximumWait`),
    /// until `answer` accepts a datagram of the transfer or `deadline` passes.
    /// With `stopAtForeign` (the handshake), it also stops at the first datagram that is not
    /// Ferry's (see `foreignDatagram`).
    func repeatUntilAnswered<Answer>(
        _ request: Datagram, wait: UInt64, maximumWait: UInt64, deadline: UInt64, stopAtForeign: Bool = false,
        answer: (Datagram) -> Answer?
    ) throws -> Answer? {
        var wait = wait
        while MonotonicClock.now() < deadline && !(stopAtForeign && foreignDatagram != nil) {
            try transmit(request)
            let until = min(MonotonicClock.now() + wait, deadline)
            while let datagram = receive(for: request.transfer, until: until) {
                if let accepted = answer(datagram) { return accepted }
            }
            wait = min(wait * 2, maximumWait)
        }
        return nil
    }
}
