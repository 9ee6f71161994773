import Foundation
import Glibc

/// Collects one side's transfers as they happen: the summary (count, incorrect, timing) always;
/// with a `--json` path, each record written to the file at once rather than kept, so memory
/// stays flat in the number of transfers (the times for the summary's percentiles are kept as
/// `TimeStatistics`: exact up to 100,000 transfers, within 0.55% beyond). The file is one JSON document, `ResultsFile`'s shape, written
/// to a file without a name (`O_TMPFILE`) and put in place atomically when the run ends, so a
/// killed side leaves no half-written results and an earlier file stays whole until then.
public final class ResultsRecorder {
    private let role: String
    private let path: String?
    /// The records, kept only when asked (tests, callers that read `ResultsFile.transfers`).
    private let keepRecords: Bool
    private var records: [TransferRecord] = []
    /// The transfers' times: every one up to `TimeStatistics.exactLimit`, a histogram beyond.
    private var times = TimeStatistics()
    private var incorrect = 0
    private var stream: StagedFile?
    private var pending: [UInt8] = []
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = ResultsRecorder.recordFormatting
        return encoder
    }()

    /// How `JSONEncoder` is set for a record: one line, keys sorted, `/` as it is
    /// (`RecordLine.append` writes the same bytes).
    public static let recordFormatting: JSONEncoder.OutputFormatting = [.sortedKeys, .withoutEscapingSlashes]

    /// Bytes held before they are written.
    static let flushSize = 64 << 10

    /// - Parameters:
    ///   - path: where the JSON results go (`--json`); nil for none.
    ///   - keepRecords: also keep every record in memory for the returned `ResultsFile`.
    /// - Throws: when the results file cannot be started (its folder missing or not writable).
    public init(role: String, path: String?, keepRecords: Bool) throws {
        self.role = role
        self.path = path
        self.keepRecords = keepRecords
        guard let path else { return }
        do {
            stream = try StagedFile(target: path)
        } catch {
            throw FerryError("\(path): cannot write the JSON results: \(error)")
        }
        append("{\n  \"role\" : \(quoted(role)),\n  \"transfers\" : [\n")
    }

    deinit {
        assert(stream == nil, "ResultsRecorder \(path ?? "") leaked: finish() or abandon() was never called")
    }

    private func quoted(_ text: String) -> String {
        (try? encoder.encode(text)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }

    private func append(_ text: String) {
        pending.append(contentsOf: text.utf8)
    }

    private func flush() throws {
        guard let stream, !pending.isEmpty else { return }
        try pending.withUnsafeBytes { try stream.write($0) }
        pending.removeAll(keepingCapacity: true)
    }

    /// Takes one transfer's record.
    /// - Throws: when the results file cannot be written.
    public func record(_ record: TransferRecord) throws {
        times.add(record.ms)
        if !record.isCorrect { incorrect += 1 }
        if keepRecords { records.append(record) }
        guard stream != nil else { return }
        if times.count > 1 { append(",\n") }
        append("    ")
        if !RecordLine.append(record, to: &pending) { pending.append(contentsOf: try encoder.encode(record)) }
        if pending.count >= Self.flushSize { try flush() }
    }

    /// The summary of the transfers recorded so far.
    public var summary: ResultsFile.Summary {
        ResultsFile.Summary(count: times.count, incorrect: incorrect, timing: TimingSummary(times))
    }

    /// Ends the results: writes the rest and puts the file in place (replacing an earlier one).
    /// - Returns: the results, with the records only when kept.
    public func finish(file: String, refused: [RefusedStart] = []) throws -> ResultsFile {
        let summary = self.summary
        let results = ResultsFile(role: role, file: file, transfers: records, refused: refused, summary: summary)
        guard let stream, let path else { return results }
        defer { self.stream = nil }
        do {
            append("\n  ],\n  \"file\" : \(quoted(file)),\n  \"refused\" : ")
            pending.append(contentsOf: try encoder.encode(refused))
            append(",\n  \"summary\" : ")
            pending.append(contentsOf: try encoder.encode(summary))
            append("\n}\n")
            try flush()
            try stream.publish()
        } catch {
            stream.abandon()
            throw FerryError("\(path): cannot write the JSON results: \(error)")
        }
        return results
    }

    /// Drops the results file (the run failed before its end): nothing is put in place.
    public func abandon() {
        stream?.abandon()
        stream = nil
    }
}
