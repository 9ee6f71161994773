// libFuzzer target for everything a peer sends: the TCP header, the udp/rudp datagrams, and the
// record of arrived segments. Built into module FerryCore by `make fuzz`, not by SwiftPM.
// Input: any bytes. Property: no crash, no trap, no hang; decoding is total.

@_cdecl("LLVMFuzzerTestOneInput")
public func ferryWireFuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    if let header = try? TransferHeader.decode(Array(bytes), maximumSize: 16 << 30) {
        // What decodes must encode back to the same header.
        precondition(try! TransferHeader.decode(header.encoded(), maximumSize: 16 << 30) == header)
    }
    if let datagram = Datagram.decode(bytes) {
        let again = datagram.encoded().withUnsafeBytes { Datagram.decode($0) }
        precondition(again == datagram)
    }
    _ = Datagram.refusedStart(bytes)
    _ = DataHeader(bytes)
    // The bytes as a run of segment numbers arriving for a transfer of up to 2^32 - 1 segments.
    var reassembly = Reassembly(segments: count > 4 ? Int(bytes.load(fromByteOffset: 0, as: UInt32.self)) : 100)
    var offset = 4
    while offset + 4 <= count {
        _ = reassembly.accept(Int(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        _ = reassembly.selective
        offset += 4
    }
    precondition(reassembly.arrived <= reassembly.segments && reassembly.cumulative <= reassembly.end)
    return 0
}
