/// The header a client sends before the payload of one transfer. See docs/protocol.md.
///
/// ```
/// offset size field
///      0    4 magic        "FRY1" (0x46 0x52 0x59 0x31)
///      4    2 version      1
///      6    2 flags        0 (reserved)
///      8    4 transfer     transfer number, 1-based
///     12    8 size         payload bytes that follow the header
///     20    2 name length  1...255
///     22    n name         the file's base name, UTF-8
///   22+n size payload
/// ```
public struct TransferHeader: Equatable, Sendable {
    /// "FRY1".
    public static let magic: UInt32 = 0x4652_5931
    /// The protocol version this build speaks.
    public static let version: UInt16 = 1
    /// Bytes before the name.
    public static let fixedLength = 22
    /// The longest name, in UTF-8 bytes.
    public static let maximumNameLength = 255

    /// The client's transfer number (1 for the first).
    public var transfer: UInt32
    /// How many payload bytes follow.
    public var size: UInt64
    /// The file's base name.
    public var name: String

    public init(transfer: UInt32, size: UInt64, name: String) {
        self.transfer = transfer
        self.size = size
        self.name = name
    }

    /// The header's bytes, name included.
    public func encoded() -> [UInt8] {
        let nameBytes = Array(name.utf8)
        var writer = BigEndianWriter()
        writer.append(Self.magic)
        writer.append(Self.version)
        writer.append(UInt16(0))
        writer.append(transfer)
        writer.append(size)
        writer.append(UInt16(truncatingIfNeeded: nameBytes.count))
        writer.append(contentsOf: nameBytes)
        return writer.bytes
    }

    /// The fixed part, decoded before the name has arrived.
    public struct Fixed: Equatable, Sendable {
        public var transfer: UInt32
        public var size: UInt64
        public var nameLength: Int
    }

    /// Decodes and checks the first `fixedLength` bytes.
    /// - Throws: `HeaderRefusal` for a wrong magic, an unknown version or a bad name length.
    public static func decodeFixed(_ bytes: UnsafeRawBufferPointer) throws(HeaderRefusal) -> Fixed {
        precondition(bytes.count >= fixedLength)
        var reader = BigEndianReader(bytes)
        guard reader.read(UInt32.self) == magic else { throw .badMagic }
        guard reader.read(UInt16.self) == version else { throw .unsupportedVersion }
        _ = reader.read(UInt16.self)
        let transfer: UInt32 = reader.read()
        let size: UInt64 = reader.read()
        let nameLength = Int(reader.read(UInt16.self))
        guard nameLength > 0 else { throw .emptyName }
        guard nameLength <= maximumNameLength else { throw .nameTooLong }
        return Fixed(transfer: transfer, size: size, nameLength: nameLength)
    }

    /// Decodes a whole header and applies every rule, the size limit included.
    public static func decode(_ bytes: [UInt8], maximumSize: UInt64) throws(HeaderRefusal) -> TransferHeader {
        guard bytes.count >= fixedLength else { throw .truncated }
        let fixed: Fixed
        do {
            fixed = try bytes.withUnsafeBytes { raw in try decodeFixed(raw) }
        } catch let refusal as HeaderRefusal {
            throw refusal
        } catch {
            throw .truncated
        }
        guard bytes.count == fixedLength + fixed.nameLength else { throw .truncated }
        let name = try NameRules.validate(bytes[fixedLength...])
        guard fixed.size <= maximumSize else { throw .tooLarge }
        return TransferHeader(transfer: fixed.transfer, size: fixed.size, name: name)
    }
}

/// Why a server refused a header. The raw value travels in the verdict's detail byte.
public enum HeaderRefusal: UInt8, Error, CaseIterable, Sendable, CustomStringConvertible {
    case badMagic = 1
    case unsupportedVersion = 2
    case emptyName = 3
    case nameTooLong = 4
    case nameNotUTF8 = 5
    case nameHasSlash = 6
    case nameHasNUL = 7
    case nameHasControlCharacter = 8
    case nameIsDotOrDotDot = 9
    case tooLarge = 10
    case truncated = 11
    /// Datagram transfers: a `start` whose segment count or payload size does not fit its size.
    case inconsistentSegments = 12
    /// Datagram transfers: a `start` from another client while a transfer is in progress.
    case busy = 13

    public var description: String {
        switch self {
        case .badMagic: "wrong magic value (not a Ferry client?)"
        case .unsupportedVersion: "unsupported protocol version"
        case .emptyName: "empty file name"
        case .nameTooLong: "file name longer than 255 bytes"
        case .nameNotUTF8: "file name is not valid UTF-8"
        case .nameHasSlash: "file name contains '/'"
        case .nameHasNUL: "file name contains a NUL byte"
        case .nameHasControlCharacter: "file name contains a control character"
        case .nameIsDotOrDotDot: "file name is '.' or '..'"
        case .tooLarge: "announced size is above the server's --max-size"
        case .truncated: "header ended early"
        case .inconsistentSegments: "segment count and payload size do not fit the announced size"
        case .busy: "the server is busy with another client's transfer"
        }
    }
}

/// What a file name must be to travel in a header: a plain base name.
public enum NameRules {
    /// A C1 control (U+0080–U+009F) or a bidirectional control (U+202A–U+202E, U+2066–U+2069):
    /// refused like the C0 controls, since they make a name print other than it is.
    public static func isHiddenControl(_ scalar: Unicode.Scalar) -> Bool {
        (0x80...0x9F).contains(scalar.value) || (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
    }

    /// Checks a name's bytes and returns it as a string.
    public static func validate<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(HeaderRefusal) -> String {
        // Most names are printable ASCII: checked at once over their contiguous bytes, without the
        // generic UTF-8 validation and the pass over Unicode scalars below.
        if let name = bytes.withContiguousStorageIfAvailable(plainASCII), let name { return name }
        guard !bytes.isEmpty else { throw .emptyName }
        guard bytes.count <= TransferHeader.maximumNameLength else { throw .nameTooLong }
        if bytes.contains(0) { throw .nameHasNUL }
        if bytes.contains(UInt8(ascii: "/")) { throw .nameHasSlash }
        if bytes.contains(where: { $0 < 0x20 || $0 == 0x7f }) { throw .nameHasControlCharacter }
        guard let name = String(validating: bytes, as: UTF8.self) else { throw .nameNotUTF8 }
        // C1 controls, and the bidirectional controls that make a name read other than it is.
        if name.unicodeScalars.contains(where: NameRules.isHiddenControl) { throw .nameHasControlCharacter }
        if name == "." || name == ".." { throw .nameIsDotOrDotDot }
        return name
    }

    /// `bytes` as a name when every rule above holds for it as printable ASCII (not empty, within
    /// the length, no `/`, not `.` or `..`); nil otherwise, and the rules are checked one by one.
    private static func plainASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        guard !bytes.isEmpty, bytes.count <= TransferHeader.maximumNameLength else { return nil }
        guard bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") }) else { return nil }
        let name = String(decoding: bytes, as: UTF8.self)
        return name == "." || name == ".." ? nil : name
    }
}
