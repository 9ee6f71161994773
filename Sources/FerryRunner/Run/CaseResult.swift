import FerryCore
import FerryScenario

/// One check of a case and how it went.
public struct Check: Codable, Equatable, Sendable {
    public var name: String
    public var passed: Bool
    /// Expected vs. actual, in words.
    public var detail: String
    /// Output lines around where a message check diverged (not in the JSON).
    public var context: [String]

    enum CodingKeys: String, CodingKey { case name, passed, detail }

    public init(name: String, passed: Bool, detail: String, context: [String] = []) {
        self.name = name
        self.passed = passed
        self.detail = detail
        self.context = context
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        passed = try container.decode(Bool.self, forKey: .passed)
        detail = try container.decode(String.self, forKey: .detail)
        context = []
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
    public var serverTimes: [Double]
    public var clientTimes: [Double]
    /// The averages each side printed, if found.
    public var serverAverage: Double?
    public var clientAverage: Double?
    /// Seconds the case took.
    public var duration: Double
    /// The case's folder with logs and copies.
    public var folder: String
    /// What each side printed, time-stamped, for reports.
    public var serverLog: [CapturedLine]
    public var clientLog: [CapturedLine]
    /// Bytes of output dropped past the cap, per side.
    public var droppedOutput: Int
    /// Packet loss of the case in percent, when the link was impaired.
    public var loss: Double?
    /// The impairment in words, nil for a clean link.
    public var impairment: String?
    /// Data datagrams lost, summed over the transfers (Ferry's own server, udp and rudp).
    public var datagramsLost: Int?

    public var passed: Bool { checks.allSatisfy(\.passed) }
    /// The first failed check.
    public var firstFailure: Check? { checks.first { !$0.passed } }
}
