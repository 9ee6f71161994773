import Foundation

/// Test and benchmark data: a file of any size filled with a fixed, non-repeating-looking pattern,
/// written a megabyte at a time.
public enum PatternFile {
    /// Writes `size` bytes to `path`, replacing it.
    public static func write(_ path: String, size: Int) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var block = [UInt8](repeating: 0, count: 1 << 20)
        for index in block.indices { block[index] = UInt8(truncatingIfNeeded: (index &* 2_654_435_761) >> 13) }
        var left = size
        while left > 0 {
            let take = min(left, block.count)
            try handle.write(contentsOf: block[0..<take])
            left -= take
        }
    }
}
