import Glibc

/// Writes datagram payloads into a copy, gathering runs of consecutive ones in a staging buffer
/// so that in-order arrival costs one `pwrite` per buffer, not one per datagram. A payload that
/// does not follow the run writes the run out and starts a new one at its own offset.
struct CoalescingWriter {
    let file: OpenFile
    let staging: UnsafeMutableRawBufferPointer
    private var start: UInt64 = 0
    private var length = 0

    init(file: OpenFile, staging: UnsafeMutableRawBufferPointer) {
        self.file = file
        self.staging = staging
    }

    /// Takes `bytes` that belong at `offset` in the copy.
    mutating func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
        if length > 0 && (offset != start + UInt64(length) || length + bytes.count > staging.count) { try flush() }
        if bytes.count > staging.count {
            try pwriteAll(bytes, at: offset)
            return
        }
        if length == 0 { start = offset }
        (staging.baseAddress! + length).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        length += bytes.count
    }

    /// Writes out the gathered run.
    mutating func flush() throws {
        guard length > 0 else { return }
        let run = UnsafeRawBufferPointer(rebasing: staging[0..<length])
        length = 0
        try pwriteAll(run, at: start)
    }

    private func pwriteAll(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
        let fd = file.descriptor
        try writeFully(bytes, "pwrite", file.path) { rest in
            pwrite(fd, rest.baseAddress, rest.count, off_t(offset) + off_t(bytes.count - rest.count))
        }
    }
}
