import Glibc

/// The fixed fields of a data datagram, read in place without copying the payload.
struct DataHeader {
    var transfer: UInt32
    var sequence: UInt32
    var offset: UInt64

    @inline(__always)
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Datagram.dataHeaderLength,
            UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self)) == Datagram.magic,
            bytes[4] == Datagram.version, bytes[5] == Datagram.Kind.data.rawValue
        else { return nil }
        transfer = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        sequence = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        offset = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
    }
}
