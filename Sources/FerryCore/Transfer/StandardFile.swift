import Glibc

/// The server's standard file, which every received copy is compared against.
///
/// Small files (up to `defaultCacheLimit`) are read into memory once; larger ones are mapped
/// window by window (`defaultWindowSize`) as the comparison reaches them, so memory stays
/// constant whatever the file size.
public final class StandardFile {
    /// Files up to this size are kept in memory by default.
    public static let defaultCacheLimit = 8 << 20

    /// The path it was opened from.
    public let path: String
    /// Its size in bytes.
    public let size: UInt64
    /// The default size of one mapped window of a large file.
    public static let defaultWindowSize = 8 << 20
    /// The size of one mapped window here: a multiple of the page size.
    private let windowSize: Int
    private let file: OpenFile
    private let cached: UnsafeMutableRawBufferPointer?
    /// The mapped window of a large file: its start offset in the file and its bytes.
    private var window: (offset: UInt64, bytes: UnsafeRawBufferPointer)?

    /// Opens the standard file. Files up to `cacheLimit` bytes are read into memory, larger ones
    /// are mapped window by window as they are compared.
    public init(
        path: String, cacheLimit: Int = StandardFile.defaultCacheLimit, windowSize: Int = StandardFile.defaultWindowSize
    ) throws {
        self.path = path
        self.windowSize = windowSize
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
    }

    deinit {
        assert(file.descriptor < 0, "StandardFile \(path) leaked: close() was never called")
    }

    /// Releases the file and the buffers. Call exactly once.
    public func close() {
        unmapWindow()
        file.close()
        cached?.deallocate()
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
            let position = offset + UInt64(compared)
            let mapped = try mapping(covering: position)
            let start = Int(position - mapped.offset)
            let length = min(mapped.bytes.count - start, chunk.count - compared)
            guard memcmp(chunk.baseAddress! + compared, mapped.bytes.baseAddress! + start, length) == 0 else { return false }
            compared += length
        }
        return true
    }

    /// The window holding byte `position`, mapping a new one when needed.
    private func mapping(covering position: UInt64) throws -> (offset: UInt64, bytes: UnsafeRawBufferPointer) {
        if let window, position >= window.offset, position < window.offset + UInt64(window.bytes.count) { return window }
        unmapWindow()
        let page = UInt64(sysconf(Int32(_SC_PAGESIZE)))
        let start = position / page * page
        let length = Int(min(UInt64(windowSize), size - start))
        guard let address = mmap(nil, length, PROT_READ, MAP_PRIVATE | MAP_POPULATE, file.descriptor, off_t(start)),
            address != MAP_FAILED
        else { throw SystemError(call: "mmap", code: errno, context: path) }
        let mapped = (offset: start, bytes: UnsafeRawBufferPointer(start: address, count: length))
        window = mapped
        return mapped
    }

    private func unmapWindow() {
        if let window { munmap(UnsafeMutableRawPointer(mutating: window.bytes.baseAddress), window.bytes.count) }
        window = nil
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
