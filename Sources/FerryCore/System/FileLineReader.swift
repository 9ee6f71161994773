import Glibc

/// Reads a file line by line (`getline`), one line's bytes at a time in a buffer it reuses: a
/// file of any size costs its longest line. Owns its `FILE`, closed at the end or when dropped.
public final class FileLineReader {
    private var file: UnsafeMutablePointer<FILE>?
    private var buffer: UnsafeMutablePointer<CChar>?
    private var capacity = 0

    /// Opens `path` at byte `offset`; nil when it cannot be opened or sought.
    public init?(path: String, offset: Int = 0) {
        guard let file = fopen(path, "re") else { return nil }
        guard fseek(file, offset, SEEK_SET) == 0 else {
            fclose(file)
            return nil
        }
        self.file = file
    }

    deinit { close() }

    /// Calls `body` with the next line's bytes, its newline included when it has one; false at
    /// the end (or on a read error). The bytes are valid only during the call.
    public func next<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result? {
        guard let file else { return nil }
        let length = getline(&buffer, &capacity, file)
        guard length > 0, let buffer else {
            close()
            return nil
        }
        return try body(UnsafeBufferPointer(start: UnsafeRawPointer(buffer).assumingMemoryBound(to: UInt8.self), count: length))
    }

    private func close() {
        if let file { fclose(file) }
        file = nil
        free(buffer)
        buffer = nil
    }
}
