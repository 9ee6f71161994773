/// Appends integers to a byte array in network (big-endian) order.
struct BigEndianWriter {
    var bytes: [UInt8] = []

    mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func append(contentsOf data: [UInt8]) {
        bytes.append(contentsOf: data)
    }
}

/// Reads big-endian integers from a byte buffer, front to back. The caller checks the length first.
struct BigEndianReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) -> T {
        var value: T = 0
        withUnsafeMutableBytes(of: &value) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + MemoryLayout<T>.size]))
        }
        offset += MemoryLayout<T>.size
        return T(bigEndian: value)
    }
}
