import FerryCore
import Foundation
import Glibc

/// A side's log (`server.log`, `client.log`), written as the lines arrive: the command on the
/// first line, then `[seconds] out | text` or `[seconds] err | text` per line. Written in blocks
/// of `blockSize`; at most `cap` bytes, what comes after is counted, not written.
///
/// The log is also where the judge reads stdout lines again (`stdoutLines(from:)`): every
/// `indexStride`-th stdout line's offset is remembered, so reading from line n skips at most
/// that many lines. It is written without a name (`StagedFile`) and gets its name when the side
/// has ended (`close()`): the program judged can neither find nor change what is read back.
public final class OutputLog: @unchecked Sendable {
    /// The log's path.
    public let path: String
    private let cap: Int
    private var file: StagedFile?
    private var pending: [UInt8] = []
    private var written = 0
    /// Bytes not written because the cap was reached.
    public private(set) var dropped = 0
    private var stdoutCount = 0
    /// The offset of stdout lines 0, stride, 2 × stride, ...
    private var offsets: [Int] = []
    private var failure: String?

    /// The most bytes a log holds: 512 MiB, far above the 100 MB of a million transfers' lines.
    public static let defaultCap = 512 << 20
    static let blockSize = 64 << 10
    static let indexStride = 1024

    /// Starts the log at `path` with `# command` as its first line.
    /// - Throws: when the file cannot be made.
    public init(path: String, command: [String], cap: Int = defaultCap) throws {
        self.path = path
        self.cap = cap
        do {
            file = try StagedFile(target: path)
        } catch {
            throw FerryError("\(path): cannot write the log: \(error)")
        }
        pending.append(contentsOf: "# \(command.joined(separator: " "))\n".utf8)
    }

    deinit {
        assert(file == nil, "OutputLog \(path) leaked: close() was never called")
    }

    /// Writes a log that holds only the command: the side never ran.
    public static func writeEmpty(path: String, command: [String]) {
        guard let log = try? OutputLog(path: path, command: command) else { return }
        log.close()
    }

    /// Adds lines that arrived together (one time stamp, formatted once). Not thread-safe: its
    /// `CapturedOutput` calls it under its lock.
    func append(_ lines: [CapturedLine]) {
        var marks: (time: Double, stdout: [UInt8], stderr: [UInt8])?
        for line in lines {
            if marks?.time != line.time {
                let stamp = "[\(Formatting.fixed(line.time, decimals: 3))] "
                marks = (line.time, Array((stamp + "out | ").utf8), Array((stamp + "err | ").utf8))
            }
            guard let marks else { continue }
            let mark = line.stream == .stdout ? marks.stdout : marks.stderr
            let size = mark.count + line.text.utf8.count + 1
            // Once a line did not fit, nothing more is written: the log never has a hole.
            guard dropped == 0, written + pending.count + size <= cap else {
                dropped += size
                continue
            }
            if line.stream == .stdout {
                if stdoutCount % Self.indexStride == 0 { offsets.append(written + pending.count) }
                stdoutCount += 1
            }
            pending.append(contentsOf: mark)
            var body = line.text
            body.withUTF8 { pending.append(contentsOf: $0) }
            pending.append(10)
            if pending.count >= Self.blockSize { flush() }
        }
    }

    private func flush() {
        guard let file, !pending.isEmpty, failure == nil else { return }
        do {
            try pending.withUnsafeBytes { try file.write($0) }
            written += pending.count
        } catch {
            failure = "\(error)"
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Writes what is held and puts the log in place under its name.
    func close() {
        guard let file else { return }
        flush()
        do {
            try file.publish()
        } catch {
            failure = failure ?? "\(error)"
        }
        self.file = nil
    }

    /// The stdout lines from index `first` on, read back from the file; nil when the log is not
    /// whole (its cap was reached, or writing it failed) or cannot be read. Call after `close()`.
    func stdoutLines(from first: Int) -> AnySequence<String>? {
        guard dropped == 0, failure == nil, file == nil else { return nil }
        // Every stdout line before the end has its block's offset recorded.
        guard first < stdoutCount else { return AnySequence([]) }
        let block = first / Self.indexStride
        let start = offsets[block]
        let skip = first - block * Self.indexStride
        // Opened here, so a log that cannot be read is nil, not an empty output. Iterate once.
        guard let reader = LogLineReader(path: path, offset: start, skip: skip) else { return nil }
        return AnySequence { reader }
    }
}

/// Reads a log's stdout texts line by line from an offset, skipping the first `skip`.
final class LogLineReader: IteratorProtocol {
    private let lines: FileLineReader
    private var skip: Int

    /// The stdout mark after the time stamp: `] out | `.
    static let stdoutMark = Array("] out | ".utf8)

    /// nil when the log cannot be opened there.
    init?(path: String, offset: Int, skip: Int) {
        guard let lines = FileLineReader(path: path, offset: offset) else { return nil }
        self.lines = lines
        self.skip = skip
    }

    func next() -> String? {
        // Per line: its text, or nil for a line to pass over (stderr, or one of the first `skip`).
        while let text = lines.next({ bytes -> String? in
            // `[12.345] out | text`: the mark ends the first `]`.
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")), close + Self.stdoutMark.count <= bytes.count,
                bytes[close..<(close + Self.stdoutMark.count)].elementsEqual(Self.stdoutMark)
            else { return nil }
            if skip > 0 {
                skip -= 1
                return nil
            }
            let end = bytes.last == 10 ? bytes.count - 1 : bytes.count
            return String(decoding: bytes[(close + Self.stdoutMark.count)..<end], as: UTF8.self)
        }) {
            if let text { return text }
        }
        return nil
    }
}
