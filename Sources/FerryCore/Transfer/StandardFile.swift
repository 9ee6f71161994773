import Glibc

/// The server's standard file, which every received copy is compared against.
///
/// Small files (up to `defaultCacheLimit`) are read into memory once; larger ones are read in
/// chunks of the receive buffer's size, so memory stays constant whatever the file size.
public final class StandardFile {
    /// Files up to this size are kept in memory by default.
    public static let defaultCacheLimit = 8 << 20

    /// The path it was opened from.
    public let path: String
    /// Its size in bytes.
    public let size: UInt64
    private let file: OpenFile
    private let cached: UnsafeMutableRawBufferPointer?
    private let scratch: UnsafeMutableRawBufferPointer

    /// Opens the standard file; `chunkSize` is the largest chunk that will be compared at once.
    /// Files up to `cacheLimit` bytes are read into memory, larger ones are read as they are compared.
    public init(path: String, chunkSize: Int, cacheLimit: Int = StandardFile.defaultCacheLimit) throws {
        self.path = path
        file = try OpenFile.forReading(path)
        do {
            size = try file.size()
            if size <= UInt64(cacheLimit) {
                let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(Int(size), 1), alignment: 16)
                let got = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: memory[0..<Int(size)]), at: 0)
                guard got == Int(size) else {
                    memory.deallocate()
                    throw FerryError("\(path): shrank while being read")
                }
                cached = memory
            } else {
                cached = nil
            }
        } catch {
            file.close()
            throw error
        }
        scratch = .allocate(byteCount: max(chunkSize, 1), alignment: 16)
    }

    deinit {
        assert(file.descriptor < 0, "StandardFile \(path) leaked: close() was never called")
    }

    /// Releases the file and the buffers. Call exactly once.
    public func close() {
        file.close()
        cached?.deallocate()
        scratch.deallocate()
    }

    /// True when `chunk` equals the standard's bytes at `offset`; false also when it runs past the end.
    public func matches(_ chunk: UnsafeRawBufferPointer, at offset: UInt64) throws -> Bool {
        guard offset <= size, UInt64(chunk.count) <= size - offset else { return false }
        guard chunk.count > 0 else { return true }
        if let cached {
            return memcmp(chunk.baseAddress!, cached.baseAddress! + Int(offset), chunk.count) == 0
        }
        var compared = 0
        while compared < chunk.count {
            let length = min(scratch.count, chunk.count - compared)
            let window = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<length])
            guard try file.read(into: window, at: offset + UInt64(compared)) == length,
                memcmp(chunk.baseAddress! + compared, scratch.baseAddress!, length) == 0
            else { return false }
            compared += length
        }
        return true
    }
}

/// Compares a copy with the standard file while it arrives: one pass, chunk by chunk,
/// no copy of the data kept. After the first difference it stops comparing.
public struct StreamingComparison {
    private let standard: StandardFile
    /// Bytes consumed so far.
    public private(set) var offset: UInt64 = 0
    /// No difference seen so far.
    public private(set) var matchingSoFar = true

    public init(against standard: StandardFile) {
        self.standard = standard
    }

    /// Takes the next chunk of the copy.
    @inline(__always)
    public mutating func consume(_ chunk: UnsafeRawBufferPointer) throws {
        if matchingSoFar {
            matchingSoFar = try standard.matches(chunk, at: offset)
        }
        offset += UInt64(chunk.count)
    }

    /// True when every byte matched and the copy is exactly as long as the standard.
    public var isIdentical: Bool { matchingSoFar && offset == standard.size }
}
