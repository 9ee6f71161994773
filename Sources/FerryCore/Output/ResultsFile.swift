import Foundation

/// The `--json` results of one side: every transfer and the summary.
public struct ResultsFile: Codable, Equatable, Sendable {
    /// `server` or `client`.
    public var role: String
    /// The file's base name.
    public var file: String
    public var transfers: [TransferRecord]
    /// udp and rudp: `start`s refused and not counted (empty otherwise).
    public var refused: [RefusedStart]
    public var summary: Summary

    enum CodingKeys: String, CodingKey { case role, file, transfers, refused, summary }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        role = try container.decode(String.self, forKey: .role)
        file = try container.decode(String.self, forKey: .file)
        transfers = try container.decode([TransferRecord].self, forKey: .transfers)
        refused = try container.decodeIfPresent([RefusedStart].self, forKey: .refused) ?? []
        summary = try container.decode(Summary.self, forKey: .summary)
    }

    public struct Summary: Codable, Equatable, Sendable {
        public var count: Int
        public var incorrect: Int
        public var timing: TimingSummary

        public init(count: Int, incorrect: Int, timing: TimingSummary) {
            self.count = count
            self.incorrect = incorrect
            self.timing = timing
        }

        public func encode(to encoder: Encoder) throws {
            try timing.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(count, forKey: .count)
            try container.encode(incorrect, forKey: .incorrect)
        }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            count = try container.decode(Int.self, forKey: .count)
            incorrect = try container.decode(Int.self, forKey: .incorrect)
            timing = try TimingSummary(from: decoder)
        }

        enum Keys: String, CodingKey { case count, incorrect }
    }

    public init(role: String, file: String, transfers: [TransferRecord], refused: [RefusedStart] = []) {
        self.init(role: role, file: file, transfers: transfers, refused: refused, summary: Summary(
            count: transfers.count,
            incorrect: transfers.filter { !$0.isCorrect }.count,
            timing: TimingSummary(milliseconds: transfers.map(\.ms))))
    }

    /// Results whose summary was kept apart from the records (`ResultsRecorder`, which may keep none).
    public init(role: String, file: String, transfers: [TransferRecord], refused: [RefusedStart], summary: Summary) {
        self.role = role
        self.file = file
        self.transfers = transfers
        self.refused = refused
        self.summary = summary
    }

    /// Writes the results as pretty JSON, replacing `path` atomically.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do {
            try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw FerryError("\(path): cannot write the JSON results: \(error.localizedDescription)")
        }
    }
}
