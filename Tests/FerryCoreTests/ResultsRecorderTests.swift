import FerryCore
import FerryTestSupport
import Foundation
import Testing

@Suite struct ResultsRecorderTests {
    private func record(_ n: Int, verdict: VerdictStatus? = .identical) -> TransferRecord {
        TransferRecord(n: n, ms: Double(n) / 1000, bytes: 3, verdict: verdict, detail: verdict == .identical ? nil : "no \"verdict\"")
    }

    @Test func recordsStreamToOneDocumentPutInPlaceAtTheEnd() throws {
        let folder = try TemporaryDirectory("ferry-recorder")
        defer { folder.remove() }
        let path = try folder.write("client.json", bytes: Array("an earlier run's results".utf8))
        let recorder = try ResultsRecorder(role: "client", path: path, keepRecords: false)
        for n in 1...20_000 { try recorder.record(record(n, verdict: n == 7 ? nil : .identical)) }
        // Until the end, the earlier file is whole and nothing else is in the folder.
        #expect(FileManager.default.contents(atPath: path) == Data("an earlier run's results".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["client.json"])
        let results = try recorder.finish(file: "a \"quoted\" name.txt")
        #expect(results.transfers.isEmpty, "records are not kept")
        #expect(results.summary.count == 20_000 && results.summary.incorrect == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["client.json"])
        let written = try JSONDecoder().decode(ResultsFile.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(written.role == "client" && written.file == "a \"quoted\" name.txt")
        #expect(written.transfers.count == 20_000 && written.transfers[6] == record(7, verdict: nil))
        #expect(written.summary == results.summary)
        #expect(written.summary.timing.medianMs == 10)
        #expect(written == ResultsFile(role: "client", file: "a \"quoted\" name.txt", transfers: (1...20_000).map { record($0, verdict: $0 == 7 ? nil : .identical) }))
    }

    @Test func anAbandonedRunLeavesTheEarlierFileAndNothingElse() throws {
        let folder = try TemporaryDirectory("ferry-recorder")
        defer { folder.remove() }
        let path = try folder.write("server.json", bytes: Array("earlier".utf8))
        let recorder = try ResultsRecorder(role: "server", path: path, keepRecords: true)
        try recorder.record(record(1))
        recorder.abandon()
        #expect(FileManager.default.contents(atPath: path) == Data("earlier".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["server.json"])
    }

    @Test func withoutAPathOnlyTheSummaryAndKeptRecords() throws {
        let recorder = try ResultsRecorder(role: "server", path: nil, keepRecords: true)
        try recorder.record(record(1))
        try recorder.record(record(2, verdict: .different))
        let results = try recorder.finish(file: "f")
        #expect(results.transfers.count == 2 && results.summary.incorrect == 1)
        #expect(results == ResultsFile(role: "server", file: "f", transfers: [record(1), record(2, verdict: .different)]))
    }

    @Test func aMissingFolderIsOneLineAtTheStart() {
        let error = #expect(throws: FerryError.self) {
            _ = try ResultsRecorder(role: "client", path: "/nonexistent-ferry/x.json", keepRecords: false)
        }
        #expect(error?.message.hasPrefix("/nonexistent-ferry/x.json: cannot write the JSON results: ") == true)
    }

    @Test func theReaderTakesOneRecordAtATimeOrTheWholeDocument() throws {
        let folder = try TemporaryDirectory("ferry-recorder")
        defer { folder.remove() }
        let expected = (1...500).map { record($0, verdict: $0 % 7 == 0 ? .different : .identical) }
        // As the recorder streams it, one record per line.
        let streamed = folder.file("streamed.json")
        let recorder = try ResultsRecorder(role: "client", path: streamed, keepRecords: false)
        for item in expected { try recorder.record(item) }
        _ = try recorder.finish(file: "f")
        // As `ResultsFile.write` writes it, pretty-printed over many lines.
        let whole = folder.file("whole.json")
        try ResultsFile(role: "client", file: "f", transfers: expected).write(to: whole)
        for path in [streamed, whole] {
            var read: [TransferRecord] = []
            #expect(ResultsReader.forEachTransfer(at: path) { read.append($0) })
            #expect(read == expected, "\(path)")
        }
        // A record line broken after the first: not results.
        var text = try String(contentsOfFile: streamed, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"n\":3,", with: "\"n\":")
        try text.write(toFile: streamed, atomically: true, encoding: .utf8)
        #expect(!ResultsReader.forEachTransfer(at: streamed) { _ in })
        #expect(!ResultsReader.forEachTransfer(at: folder.file("none.json")) { _ in })
    }
}
