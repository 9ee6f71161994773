import FerryBench
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

    /// Makes `name` a file of `size` bytes with a fixed pattern and returns its path.
    @discardableResult
    public func makePatternFile(_ name: String, size: Int) throws -> String {
        try PatternFile.write(file(name), size: size)
        return file(name)
    }

    /// Copies the repository's `scenarios/files/sample.txt` to `files/sample.txt` here and returns its path.
    @discardableResult
    public func copySample() throws -> String {
        try FileManager.default.createDirectory(atPath: file("files"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "\(repositoryRoot())/scenarios/files/sample.txt", toPath: file("files/sample.txt"))
        return file("files/sample.txt")
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
