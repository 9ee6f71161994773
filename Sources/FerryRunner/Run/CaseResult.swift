import Foundation
import FerryCore
import FerryScenario

/// One check of a case and how it went.
public struct Check: Codable, Equatable, Sendable {
    /// How a check went. A skipped check could not be judged (an earlier check failed, or the
    /// run asked not to judge it); it earns no points and does not fail the case by itself.
    public enum Status: String, Codable, Sendable { case passed, failed, skipped }

    /// A stable name (`server.ready`, `client.lines.average`, `copies`): see `CheckName`.
    public var name: String
    public var status: Status
    /// Expected vs. actual, in words; for a skipped check, why it was skipped.
    public var detail: String
    /// Output lines around where a message check diverged, or a side's last stderr lines.
    public var context: [String]
    /// The points the check is worth.
    public var points: Double
    /// The share of its points a failed check still earns: transfers that had an `each` line,
    /// identical copies of the repetitions; 0 for all-or-nothing checks.
    public var share: Double

    enum CodingKeys: String, CodingKey { case name, status, detail, context, points, score }

    public init(name: String, status: Status, detail: String, context: [String] = [], points: Double = 1, share: Double = 0) {
        self.name = name
        self.status = status
        self.detail = detail
        self.context = context
        self.points = points
        self.share = share
    }

    public init(name: String, passed: Bool, detail: String, context: [String] = [], share: Double = 0) {
        self.init(name: name, status: passed ? .passed : .failed, detail: detail, context: context, share: share)
    }

    /// A check that could not be judged.
    public static func skipped(_ name: String, because reason: String) -> Check {
        Check(name: name, status: .skipped, detail: reason)
    }

    public var passed: Bool { status == .passed }
    public var failed: Bool { status == .failed }

    /// The points earned.
    public var score: Double {
        switch status {
        case .passed: points
        case .failed: points * min(max(share, 0), 1)
        case .skipped: 0
        }
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        status = try container.decode(Status.self, forKey: .status)
        detail = try container.decode(String.self, forKey: .detail)
        context = try container.decodeIfPresent([String].self, forKey: .context) ?? []
        points = try container.decode(Double.self, forKey: .points)
        let score = try container.decode(Double.self, forKey: .score)
        share = points > 0 ? score / points : 0
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(status, forKey: .status)
        try container.encode(detail, forKey: .detail)
        try container.encode(context, forKey: .context)
        try container.encode(points, forKey: .points)
        try container.encode(score, forKey: .score)
    }
}

/// Everything the runner learnt from one case.
public struct CaseResult: Sendable {
    public var name: String
    /// The scenario file.
    public var scenario: String
    public var scenarioName: String
    public var transport: String
    public var bufferSize: Int
    public var repetitions: Int
    /// How the hosts were made (`namespaces`, `host`).
    public var isolation: String
    public var checks: [Check]
    /// Incorrect copies by the runner's own verification (differing + missing).
    public var incorrect: Int
    public var verified: Verification
    /// Per-transfer times each side printed.
    public var serverTimes: TimeStatistics
    public var clientTimes: TimeStatistics
    /// The averages each side printed, if found.
    public var serverAverage: Double?
    public var clientAverage: Double?
    /// Seconds the case took.
    public var duration: Double
    /// The case's folder with logs and copies.
    public var folder: String
    /// The last lines each side printed (`SideCapture.recentLines`), time-stamped, for reports;
    /// the whole output is in the case folder's logs.
    public var serverRecent: [CapturedLine]
    public var clientRecent: [CapturedLine]
    /// Bytes of output not written to the logs past their cap, both sides.
    public var droppedOutput: Int
    /// Packet loss of the case in percent, when the link was impaired.
    public var loss: Double?
    /// The impairment in words, nil for a clean link.
    public var impairment: String?
    /// What Ferry's own pair counted per transfer (handshake times, retransmissions, datagrams
    /// lost); nil for programs judged from outside.
    public var counters: PairCounters?

    /// The submission this case judged (`--submissions`), nil otherwise.
    public var submission: String?
    /// The line of the scenario's `name` (see `Scenario.line`).
    public var line = 1
    /// When the case started.
    public var startedAt = Date()

    /// Data datagrams lost, summed over the transfers (Ferry's own server, udp and rudp).
    public var datagramsLost: Int? { counters?.datagramsLost }

    /// Megabytes (10^6 bytes) per second over the client's timed transfers: the file's size times
    /// the transfers timed, over the sum of their times; nil without times or a known size.
    public var throughput: Double? {
        let total = clientTimes.sumMs
        guard total > 0, verified.standardBytes > 0 else { return nil }
        return Double(verified.standardBytes) * Double(clientTimes.count) / (total / 1000) / 1e6
    }

    /// True when no check failed.
    public var passed: Bool { !checks.contains(where: \.failed) }
    /// The failed checks, in the order they were judged.
    public var failures: [Check] { checks.filter(\.failed) }
    /// The first failed check.
    public var firstFailure: Check? { checks.first(where: \.failed) }
    /// Points earned and points possible over every check.
    public var score: Double { checks.reduce(0) { $0 + $1.score } }
    public var maximumScore: Double { checks.reduce(0) { $0 + $1.points } }
}
