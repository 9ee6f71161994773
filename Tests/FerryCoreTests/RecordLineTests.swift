import FerryCore
import FerryTestSupport
import Foundation
import Testing

/// `RecordLine` reads the recorder's lines without `JSONDecoder`; whatever it reads must be read
/// exactly as `JSONDecoder` reads it, and what it declines is left to `JSONDecoder`.
@Suite struct RecordLineTests {
    private let decoder = JSONDecoder()

    /// What `JSONDecoder` makes of `line`; nil when it refuses it.
    private func decoded(_ line: [UInt8]) -> TransferRecord? {
        try? decoder.decode(TransferRecord.self, from: Data(line))
    }

    private func parsed(_ line: [UInt8]) -> TransferRecord? {
        line.withUnsafeBytes { RecordLine.parse($0) }
    }

    /// Records of every kind, as random as their types allow.
    private func randomRecords(_ total: Int, _ random: inout SeededRandom) -> [TransferRecord] {
        let words = ["copy-1.txt", "a/b c", "x", "", "payload ended early", "ü", "tab\there", "quote \"q\"", "back\\slash", "/srv/ferry/received"]
        func time() -> Double {
            switch Int.random(in: 0..<5, using: &random) {
            case 0: Double(Int.random(in: 0...10_000_000, using: &random)) / 1000
            case 1: Double.random(in: 0...1, using: &random)
            case 2: Double.random(in: 1e-9...1e12, using: &random)
            case 3: 0
            default: Double(sign: .plus, exponent: Int.random(in: -30...60, using: &random), significand: Double.random(in: 1..<2, using: &random))
            }
        }
        func count() -> Int { Bool.random(using: &random) ? Int.random(in: 0...1000, using: &random) : Int.random(in: 0...Int.max, using: &random) }
        return (0..<total).map { index in
            TransferRecord(
                n: Int.random(in: 1...1_000_000, using: &random) * (index % 97 == 0 ? -1 : 1),
                ms: time(),
                bytes: Bool.random(using: &random) ? UInt64.random(in: 0...UInt64.max, using: &random) : UInt64.random(in: 0...100, using: &random),
                verdict: Bool.random(using: &random) ? VerdictStatus.allCases.randomElement(using: &random) : nil,
                detail: Int.random(in: 0..<4, using: &random) == 0 ? words.randomElement(using: &random) : nil,
                stored: Int.random(in: 0..<4, using: &random) == 0 ? words.randomElement(using: &random) : nil,
                datagrams: Int.random(in: 0..<3, using: &random) == 0
                    ? DatagramCounts(
                        expected: count(), received: count(), lost: count(), duplicated: count(), outOfOrder: count(),
                        retransmitted: Bool.random(using: &random) ? count() : nil)
                    : nil,
                tcp: Bool.random(using: &random) ? TCPCounts(connectMs: time(), retransmissions: count(), rttMs: time()) : nil)
        }
    }

    /// The record lines of a results file `ResultsRecorder` wrote, without indentation and comma.
    private func recorderLines(_ records: [TransferRecord]) throws -> [[UInt8]] {
        let folder = try TemporaryDirectory("ferry-record-line")
        defer { folder.remove() }
        let path = folder.file("results.json")
        let recorder = try ResultsRecorder(role: "client", path: path, keepRecords: false)
        for record in records { try recorder.record(record) }
        _ = try recorder.finish(file: "f")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return text.split(separator: "\n").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " ,")) }
            .filter { $0.hasPrefix("{\"") }.map { Array($0.utf8) }
    }

    @Test func theRecordersLinesReadAsJSONDecoderReadsThem() throws {
        var random = SeededRandom(state: 14)
        let records = randomRecords(20_000, &random)
        let lines = try recorderLines(records)
        #expect(lines.count == records.count)
        var readHere = 0
        for (line, record) in zip(lines, records) {
            #expect(decoded(line) == record)
            if let fast = parsed(line) {
                readHere += 1
                #expect(fast == record, "\(String(decoding: line, as: UTF8.self))")
            } else {
                // Only a string with an escape or beyond ASCII is left to JSONDecoder.
                #expect(line.contains(UInt8(ascii: "\\")) || line.contains { $0 >= 0x80 }, "\(String(decoding: line, as: UTF8.self))")
            }
        }
        #expect(readHere > records.count / 2, "the recorder's lines are read here, not left to JSONDecoder")
    }

    /// What `JSONEncoder`, set as the recorder sets it, writes of `record`.
    private func encoded(_ record: TransferRecord) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = ResultsRecorder.recordFormatting
        return Array(try encoder.encode(record))
    }

    /// Whatever the writer writes is what `JSONEncoder` writes, byte for byte; what it declines
    /// is outside the reader's subset (a string with a byte beyond printable ASCII, `"` or `\`)
    /// or not a finite time, and leaves the bytes as they were.
    @Test(arguments: [5, 1_000_003] as [UInt64])
    func theWriterWritesWhatJSONEncoderWrites(seed: UInt64) throws {
        var random = SeededRandom(state: seed)
        var records = randomRecords(20_000, &random)
        records += [.nan, .infinity, -.infinity].map { TransferRecord(n: 1, ms: $0, bytes: 1, verdict: .identical) }
        records.append(TransferRecord(n: 1, ms: 1, bytes: 1, verdict: nil, tcp: TCPCounts(connectMs: .nan, retransmissions: 0, rttMs: 1)))
        records.append(TransferRecord(n: 1, ms: 1, bytes: 1, verdict: nil, detail: "del \u{7F}"))
        // The edges of each number: signs, zeros, subnormals, the integers' extremes.
        for ms in [-0.0, -1.5, .leastNonzeroMagnitude, 2.2250738585072014e-308, 1e-7, 1e16, 1e21, .greatestFiniteMagnitude, -.greatestFiniteMagnitude] {
            for n in [Int.min, -1, 0, Int.max] {
                records.append(TransferRecord(
                    n: n, ms: ms, bytes: n == 0 ? .max : 0, verdict: .refused,
                    datagrams: DatagramCounts(expected: n, received: 0 &- n, lost: Int.min, duplicated: Int.max, outOfOrder: -7, retransmitted: n),
                    tcp: TCPCounts(connectMs: -ms, retransmissions: n, rttMs: ms)))
            }
        }
        var writtenHere = 0
        for record in records {
            var bytes = Array("before".utf8)
            if RecordLine.append(record, to: &bytes) {
                writtenHere += 1
                #expect(bytes == Array("before".utf8) + (try encoded(record)), "\(record)")
            } else {
                #expect(bytes == Array("before".utf8))
                let plain = { (text: String?) in text?.utf8.allSatisfy { (0x20..<0x7F).contains($0) && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") } ?? true }
                let finite = record.ms.isFinite && (record.tcp.map { $0.connectMs.isFinite && $0.rttMs.isFinite } ?? true)
                #expect(!plain(record.detail) || !plain(record.stored) || !finite, "declined without a reason: \(record)")
            }
        }
        #expect(writtenHere > records.count / 2, "the records are written here, not left to JSONEncoder")
        // Every verdict, and a record with every field.
        for verdict in VerdictStatus.allCases {
            let record = TransferRecord(
                n: 3, ms: 0.084, bytes: 65_536, verdict: verdict, detail: "payload ended early", stored: "/srv/ferry/copy-3.bin",
                datagrams: DatagramCounts(expected: 5, received: 3, lost: 2, duplicated: 0, outOfOrder: 1, retransmitted: 4),
                tcp: TCPCounts(connectMs: 0.021, retransmissions: 0, rttMs: 1))
            var bytes: [UInt8] = []
            #expect(RecordLine.append(record, to: &bytes))
            #expect(bytes == (try encoded(record)))
        }
    }

    @Test func theLineOfATCPTransferIsReadWhole() {
        let line = Array(#"{"bytes":1,"ms":0.084,"n":7,"tcp":{"connect_ms":0.021,"retransmissions":2,"rtt_ms":0.019},"verdict":"identical"}"#.utf8)
        #expect(parsed(line) == TransferRecord(n: 7, ms: 0.084, bytes: 1, verdict: .identical, tcp: TCPCounts(connectMs: 0.021, retransmissions: 2, rttMs: 0.019)))
        let datagram = Array(#"{"bytes":3,"datagrams":{"duplicated":0,"expected":5,"lost":2,"out_of_order":1,"received":3},"ms":1.5,"n":2,"stored":"copy-2","verdict":"different"}"#.utf8)
        #expect(parsed(datagram) == TransferRecord(
            n: 2, ms: 1.5, bytes: 3, verdict: .different, stored: "copy-2",
            datagrams: DatagramCounts(expected: 5, received: 3, lost: 2, duplicated: 0, outOfOrder: 1)))
    }

    /// Lines outside the subset: each is declined here, and `JSONDecoder` has the last word.
    @Test func whatIsNotTheRecordersFormIsLeftToJSONDecoder() {
        let declined = [
            #"{"bytes":1,"ms":1,"n":1,"n":2}"#,  // a key twice
            #"{"bytes":1,"ms":1,"n":1,"extra":0}"#,  // a key JSONDecoder ignores
            #"{"bytes":1,"ms":1,"n":1,"tcp":{"connect_ms":1,"retransmissions":0,"rtt_ms":1,"x":1}}"#,
            #"{ "bytes":1,"ms":1,"n":1}"#,  // a space
            #"{"bytes":1,"ms":1,"n":1.0}"#,  // an integer with a fraction
            #"{"bytes":1,"ms":1,"n":1e0}"#,
            #"{"bytes":1,"ms":1,"n":01}"#,  // not JSON
            #"{"bytes":1,"ms":1e400,"n":1}"#,  // out of range
            #"{"bytes":1,"ms":8e-708,"n":1}"#,
            #"{"bytes":1,"ms":1e-310,"n":1}"#,  // below the normal range
            #"{"bytes":1,"ms":0.000000000000000000000000000000001,"n":1}"#,  // longer than the recorder writes
            #"{"bytes":1,"ms":1,"n":9223372036854775808}"#,
            #"{"bytes":-1,"ms":1,"n":1}"#,
            #"{"bytes":1,"ms":1,"n":1,"verdict":"maybe"}"#,
            #"{"bytes":1,"ms":1,"n":1,"verdict":null}"#,
            #"{"bytes":1,"ms":1,"n":1,"detail":"a \"b\""}"#,
            #"{"bytes":1,"ms":1,"n":1,"detail":"\u00fc"}"#,
            #"{"bytes":1,"ms":1}"#,  // n missing
            #"{"bytes":1,"ms":1,"n":1}x"#,
            #"{"bytes":1,"ms":1,"n":1"#,
            #"{"bytes":1,"ms":.5,"n":1}"#,
            #"{"bytes":1,"ms":-,"n":1}"#,
            #"{"bytes":1,"ms":1.,"n":1}"#,
            #"{"bytes":1,"ms":1,"n":1,}"#,
            #"{}"#,
            "",
        ]
        for text in declined {
            #expect(parsed(Array(text.utf8)) == nil, "\(text)")
        }
        // The limits of what is read here.
        #expect(parsed(Array(#"{"bytes":18446744073709551615,"ms":-0,"n":-9223372036854775808}"#.utf8))
            == TransferRecord(n: .min, ms: -0.0, bytes: .max, verdict: nil))
        #expect(parsed(Array(#"{"bytes":0,"ms":2.5E-3,"n":0}"#.utf8)) == TransferRecord(n: 0, ms: 0.0025, bytes: 0, verdict: nil))
    }

    /// Recorder lines broken at random: whatever is still read here is what `JSONDecoder` reads.
    @Test(arguments: [1_000_003, 27, 31_337] as [UInt64])
    func aBrokenLineIsNeverReadOtherwiseThanByJSONDecoder(seed: UInt64) throws {
        var random = SeededRandom(state: seed)
        let lines = try recorderLines(randomRecords(2_000, &random))
        let alphabet = Array(#"{}[]":,.-+eE0123456789 nmsbytecdpqrl_\"#.utf8)
        var stillRead = 0
        for round in 0..<60_000 {
            var line = lines[round % lines.count]
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let at = Int.random(in: 0..<line.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: line.remove(at: at)
                case 1: line.insert(alphabet.randomElement(using: &random)!, at: at)
                default: line[at] = alphabet.randomElement(using: &random)!
                }
                if line.isEmpty { break }
            }
            guard let fast = parsed(line) else { continue }
            stillRead += 1
            let slow = decoded(line)
            #expect(slow == fast, "\(String(decoding: line, as: UTF8.self))")
        }
        #expect(stillRead > 1_000, "some broken lines are still records (a digit changed)")
    }
}
