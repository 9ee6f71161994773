/// The datagrams of `--protocol udp` and `--protocol rudp`. See docs/protocol.md.
///
/// Every datagram starts with the same 16 bytes; the rest depends on the type.
/// ```
/// offset size field
///      0    4 magic     "FRYD" (0x46 0x52 0x59 0x44)
///      4    1 version   1
///      5    1 type      DatagramKind
///      6    2 flags     0 (reserved)
///      8    4 transfer  the client's transfer number, 1-based
///     12    4 sequence  data: segment index from 0; others: 0
/// ```
public enum Datagram: Equatable, Sendable {
    /// Client to server: a transfer begins. Repeated until `ready` comes back.
    case start(transfer: UInt32, size: UInt64, segments: UInt32, payloadSize: UInt32, name: String)
    /// Server to client: the server knows the transfer and waits for its data.
    case ready(transfer: UInt32)
    /// Client to server: one segment of the file, at byte `offset`.
    case data(transfer: UInt32, sequence: UInt32, offset: UInt64, payload: ArraySlice<UInt8>)
    /// Client to server: every segment was sent (udp) or acknowledged (rudp).
    case end(transfer: UInt32, size: UInt64, segments: UInt32)
    /// Server to client (rudp): every segment below `cumulative` arrived, and segment
    /// `cumulative + 1 + i` arrived where bit i of `selective` is set.
    case ack(transfer: UInt32, cumulative: UInt32, selective: UInt64)
    /// Server to client: the transfer's outcome.
    case verdict(DatagramVerdict)

    /// "FRYD".
    public static let magic: UInt32 = 0x4652_5944
    public static let version: UInt8 = 1
    /// Bytes before a data segment's payload.
    public static let dataHeaderLength = 24
    /// The largest UDP payload over IPv4.
    public static let maximumDatagram = 65_507
    /// The largest data payload a datagram can carry.
    public static let maximumPayload = maximumDatagram - dataHeaderLength

    /// The kind byte on the wire.
    public enum Kind: UInt8, Sendable {
        case start = 1, ready = 2, data = 3, end = 4, ack = 5, verdict = 6
    }

    public var transfer: UInt32 {
        switch self {
        case .start(let transfer, _, _, _, _), .ready(let transfer), .data(let transfer, _, _, _),
            .end(let transfer, _, _), .ack(let transfer, _, _):
            transfer
        case .verdict(let verdict): verdict.transfer
        }
    }

    /// The datagram's bytes.
    public func encoded() -> [UInt8] {
        var writer = BigEndianWriter()
        func header(_ kind: Kind, _ transfer: UInt32, _ sequence: UInt32 = 0) {
            writer.append(Self.magic)
            writer.append(Self.version)
            writer.append(kind.rawValue)
            writer.append(UInt16(0))
            writer.append(transfer)
            writer.append(sequence)
        }
        switch self {
        case .start(let transfer, let size, let segments, let payloadSize, let name):
            let nameBytes = Array(name.utf8)
            header(.start, transfer)
            writer.append(size)
            writer.append(segments)
            writer.append(payloadSize)
            writer.append(UInt16(truncatingIfNeeded: nameBytes.count))
            writer.append(contentsOf: nameBytes)
        case .ready(let transfer):
            header(.ready, transfer)
        case .data(let transfer, let sequence, let offset, let payload):
            header(.data, transfer, sequence)
            writer.append(offset)
            writer.bytes.append(contentsOf: payload)
        case .end(let transfer, let size, let segments):
            header(.end, transfer)
            writer.append(size)
            writer.append(segments)
        case .ack(let transfer, let cumulative, let selective):
            header(.ack, transfer)
            writer.append(cumulative)
            writer.append(selective)
        case .verdict(let verdict):
            header(.verdict, verdict.transfer)
            writer.append(verdict.status.rawValue)
            writer.append(verdict.detail)
            writer.append(UInt16(0))
            writer.append(verdict.received)
            for count in [verdict.expected, verdict.arrived, verdict.lost, verdict.duplicated, verdict.outOfOrder] {
                writer.append(count)
            }
        }
        return writer.bytes
    }

    /// Writes a data datagram's 24-byte header in front of a payload already in place
    /// (the send path builds datagrams in one reusable buffer, without allocating).
    @inline(__always)
    public static func writeDataHeader(into buffer: UnsafeMutableRawBufferPointer, transfer: UInt32, sequence: UInt32, offset: UInt64) {
        buffer.storeBytes(of: magic.bigEndian, toByteOffset: 0, as: UInt32.self)
        buffer.storeBytes(of: version, toByteOffset: 4, as: UInt8.self)
        buffer.storeBytes(of: Kind.data.rawValue, toByteOffset: 5, as: UInt8.self)
        buffer.storeBytes(of: 0, toByteOffset: 6, as: UInt16.self)
        buffer.storeBytes(of: transfer.bigEndian, toByteOffset: 8, as: UInt32.self)
        buffer.storeBytes(of: sequence.bigEndian, toByteOffset: 12, as: UInt32.self)
        buffer.storeBytes(of: offset.bigEndian, toByteOffset: 16, as: UInt64.self)
    }

    /// A well-formed `start` whose name breaks the naming rules: its transfer and the refusal,
    /// so the server can answer it with a refusing verdict rather than silence. Nil for anything else.
    public static func refusedStart(_ bytes: UnsafeRawBufferPointer) -> (transfer: UInt32, refusal: HeaderRefusal)? {
        guard bytes.count >= 34 else { return nil }
        var reader = BigEndianReader(bytes)
        guard reader.read(UInt32.self) == magic, reader.read(UInt8.self) == version, reader.read(UInt8.self) == Kind.start.rawValue
        else { return nil }
        _ = reader.read(UInt16.self)
        let transfer: UInt32 = reader.read()
        _ = reader.read(UInt32.self)
        _ = reader.read(UInt64.self)
        _ = reader.read(UInt32.self)
        _ = reader.read(UInt32.self)
        let nameLength = Int(reader.read(UInt16.self))
        guard bytes.count == 34 + nameLength else { return nil }
        do {
            _ = try NameRules.validate(UnsafeRawBufferPointer(rebasing: bytes[34...]))
            return nil
        } catch {
            return (transfer, error)
        }
    }

    /// Decodes a datagram; nil for anything that is not a well-formed Ferry datagram.
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> Datagram? {
        guard bytes.count >= 16 else { return nil }
        var reader = BigEndianReader(bytes)
        guard reader.read(UInt32.self) == magic, reader.read(UInt8.self) == version,
            let kind = Kind(rawValue: reader.read(UInt8.self))
        else { return nil }
        _ = reader.read(UInt16.self)
        let transfer: UInt32 = reader.read()
        let sequence: UInt32 = reader.read()
        let rest = bytes.count - 16
        switch kind {
        case .start:
            guard rest >= 18 else { return nil }
            let size: UInt64 = reader.read()
            let segments: UInt32 = reader.read()
            let payloadSize: UInt32 = reader.read()
            let nameLength = Int(reader.read(UInt16.self))
            guard rest == 18 + nameLength,
                let name = try? NameRules.validate(UnsafeRawBufferPointer(rebasing: bytes[34...]))
            else { return nil }
            return .start(transfer: transfer, size: size, segments: segments, payloadSize: payloadSize, name: name)
        case .ready:
            return .ready(transfer: transfer)
        case .data:
            guard rest >= 8 else { return nil }
            let offset: UInt64 = reader.read()
            return .data(transfer: transfer, sequence: sequence, offset: offset, payload: ArraySlice(bytes[24...]))
        case .end:
            guard rest == 12 else { return nil }
            return .end(transfer: transfer, size: reader.read(), segments: reader.read())
        case .ack:
            guard rest == 12 else { return nil }
            return .ack(transfer: transfer, cumulative: reader.read(), selective: reader.read())
        case .verdict:
            guard rest == 32, let status = VerdictStatus(rawValue: reader.read()) else { return nil }
            let detail: UInt8 = reader.read()
            _ = reader.read(UInt16.self)
            return .verdict(DatagramVerdict(
                transfer: transfer, status: status, detail: detail, received: reader.read(), expected: reader.read(),
                arrived: reader.read(), lost: reader.read(), duplicated: reader.read(), outOfOrder: reader.read()))
        }
    }
}

/// The server's answer to a datagram transfer, with what happened to the datagrams.
public struct DatagramVerdict: Equatable, Sendable {
    public var transfer: UInt32
    public var status: VerdictStatus
    public var detail: UInt8
    /// Payload bytes that arrived (each segment counted once).
    public var received: UInt64
    /// Data datagrams the transfer had.
    public var expected: UInt32
    /// Distinct data datagrams that arrived.
    public var arrived: UInt32
    /// Data datagrams that never arrived.
    public var lost: UInt32
    /// Data datagrams that arrived more than once (extra copies).
    public var duplicated: UInt32
    /// Data datagrams that arrived after one with a higher sequence number.
    public var outOfOrder: UInt32

    public init(
        transfer: UInt32, status: VerdictStatus, detail: UInt8 = 0, received: UInt64, expected: UInt32, arrived: UInt32,
        lost: UInt32, duplicated: UInt32, outOfOrder: UInt32
    ) {
        self.transfer = transfer
        self.status = status
        self.detail = detail
        self.received = received
        self.expected = expected
        self.arrived = arrived
        self.lost = lost
        self.duplicated = duplicated
        self.outOfOrder = outOfOrder
    }
}
