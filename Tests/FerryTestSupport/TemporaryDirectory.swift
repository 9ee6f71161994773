import Foundation

/// A fresh folder under the system's temporary folder, removed by `remove()`.
public final class TemporaryDirectory {
    public let path: String

    public init(_ label: String = "ferry-test") throws {
        let base = URL(fileURLWithPath: NSTemporaryDirectory()).standardizedFileURL.path
        var template = Array("\(base)/\(label).XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: made)
    }

    /// `path/name`.
    public func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Writes `bytes` to `name` inside the folder and returns its path.
    @discardableResult
    public func write(_ name: String, bytes: [UInt8]) throws -> String {
        try Data(bytes).write(to: URL(fileURLWithPath: file(name)))
        return file(name)
    }

    /// Makes `name` a sparse-free file of `size` bytes with a repeating pattern and returns its path.
    @discardableResult
    public func makePatternFile(_ name: String, size: Int) throws -> String {
        let path = file(name)
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var block = [UInt8](repeating: 0, count: 1 << 20)
        for index in block.indices { block[index] = UInt8(truncatingIfNeeded: index &* 31 &+ index >> 8) }
        var left = size
        while left > 0 {
            let take = min(left, block.count)
            try handle.write(contentsOf: block[0..<take])
            left -= take
        }
        return path
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
