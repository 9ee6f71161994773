import Foundation

/// The server's answer at the end of one transfer. See docs/protocol.md.
///
/// ```
/// offset size field
///      0    4 magic     "FRYV" (0x46 0x52 0x59 0x56)
///      4    2 version   1
///      6    1 status    VerdictStatus
///      7    1 detail    HeaderRefusal for `refused`, else 0
///      8    4 transfer  the transfer number from the header (0 if none was read)
///     12    8 received  payload bytes the server received
/// ```
public struct Verdict: Equatable, Sendable {
    /// "FRYV".
    public static let magic: UInt32 = 0x4652_5956
    /// Bytes on the wire.
    public static let length = 20

    public var status: VerdictStatus
    public var detail: UInt8
    public var transfer: UInt32
    public var received: UInt64

    public init(status: VerdictStatus, detail: UInt8 = 0, transfer: UInt32, received: UInt64) {
        self.status = status
        self.detail = detail
        self.transfer = transfer
        self.received = received
    }

    public func encoded() -> [UInt8] {
        var writer = BigEndianWriter()
        writer.append(Self.magic)
        writer.append(TransferHeader.version)
        writer.append(status.rawValue)
        writer.append(detail)
        writer.append(transfer)
        writer.append(received)
        return writer.bytes
    }

    /// Decodes a verdict; nil when the bytes are not one.
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> Verdict? {
        guard bytes.count == length else { return nil }
        var reader = BigEndianReader(bytes)
        guard reader.read(UInt32.self) == magic, reader.read(UInt16.self) == TransferHeader.version,
            let status = VerdictStatus(rawValue: reader.read())
        else { return nil }
        let detail: UInt8 = reader.read()
        return Verdict(status: status, detail: detail, transfer: reader.read(), received: reader.read())
    }

    /// Human words: `identical`, `refused: file name contains '/'`.
    public var summary: String {
        if status == .refused, let reason = HeaderRefusal(rawValue: detail) {
            return "refused: \(reason)"
        }
        return status.description
    }
}

/// The outcome of one transfer, as the server judged it.
public enum VerdictStatus: UInt8, Sendable, CustomStringConvertible, CaseIterable, Codable {
    /// Every byte arrived and equals the standard file.
    case identical = 0
    /// All announced bytes arrived but differ from the standard (in content or length).
    case different = 1
    /// The connection ended or went silent before all announced bytes arrived.
    case incomplete = 2
    /// The header broke a rule; nothing was stored.
    case refused = 3
    /// The server could not store the copy (disk full, permissions).
    case storeFailed = 4

    public var description: String {
        switch self {
        case .identical: "identical"
        case .different: "different"
        case .incomplete: "incomplete"
        case .refused: "refused"
        case .storeFailed: "store failed"
        }
    }

    /// The JSON form: `identical`, `different`, `incomplete`, `refused`, `store_failed`.
    public var key: String { Self.keys[Int(rawValue)] }

    /// `key` of each case, in raw-value order, made once.
    private static let keys: [String] = {
        precondition(allCases.indices.allSatisfy { Int(allCases[$0].rawValue) == $0 }, "VerdictStatus: raw values must be 0, 1, 2… in order")
        return allCases.map { $0.description.replacingOccurrences(of: " ", with: "_") }
    }()

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(key)
    }

    public init(from decoder: Decoder) throws {
        let key = try decoder.singleValueContainer().decode(String.self)
        guard let status = Self.allCases.first(where: { $0.key == key }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown verdict \(key)"))
        }
        self = status
    }

    /// Only `identical` is a correct transfer.
    public var isCorrect: Bool { self == .identical }
}
