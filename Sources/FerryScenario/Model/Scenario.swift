import FerryCore

/// A scenario file, decoded and validated: what to run and what to expect. See docs/scenario-format.md.
public struct Scenario: Sendable {
    /// The scenario file as the user named it.
    public var path: String
    public var name: String
    /// The line of its `name` (1 without one): where reports point for its cases.
    public var line = 1
    public var description: String?
    public var network: NetworkSpec
    /// Sides that run on machines of their own (over SSH); none by default.
    public var hosts = HostsSpec()
    public var transfer: TransferSpec
    /// The server to run; nil means Ferry's own.
    public var server: CommandSpec?
    /// The client to run; nil means Ferry's own.
    public var client: CommandSpec?
    public var timeouts: Timeouts
    public var expect: Expectations

    /// One case per protocol, buffer size and loss, in that order.
    public var cases: [ScenarioCase] {
        var result: [ScenarioCase] = []
        let losses: [Double?] = network.impair?.losses.map { $0 } ?? [nil]
        let sizes = transfer.protocols.map { transfer.bufferSizes ?? [$0.defaultBufferSize] }
        let several = zip(transfer.protocols, sizes).reduce(0) { $0 + $1.1.count } * losses.count > 1
        for (transport, bufferSizes) in zip(transfer.protocols, sizes) {
            for bufferSize in bufferSizes {
                for loss in losses {
                    var name = self.name
                    if several {
                        name += "[\(transport.rawValue),\(bufferSize)"
                        if let loss { name += ",loss \(Self.percent(loss))" }
                        name += "]"
                    }
                    result.append(ScenarioCase(scenario: self, name: name, transport: transport, bufferSize: bufferSize, loss: loss))
                }
            }
        }
        return result
    }

    /// `5%`, `0.1%`.
    public static func percent(_ value: Double) -> String {
        var text = String(value)
        if text.hasSuffix(".0") { text.removeLast(2) }
        return text + "%"
    }
}

/// One run of both sides: a scenario at one protocol and buffer size.
public struct ScenarioCase: Sendable {
    public var scenario: Scenario
    /// `tcp-100`, or `buffers[tcp,4096]` when the scenario has several cases.
    public var name: String
    public var transport: TransportProtocol
    public var bufferSize: Int
    /// The packet loss of this case in percent, when the scenario impairs the link.
    public var loss: Double?

    /// The expectations for this case: the scenario's, with every matching override applied in order.
    public var expectations: Expectations {
        var result = scenario.expect
        for override in scenario.expect.overrides where override.matches(self) {
            override.apply(to: &result)
        }
        return result
    }

    /// The impairment of this case in words (`loss 5% both, rate 100mbit`); nil for a clean link.
    public var impairmentDescription: String? {
        guard let impair = scenario.network.impair else { return nil }
        var parts: [String] = []
        if let loss { parts.append("loss \(Scenario.percent(loss)) \(impair.direction.rawValue)") }
        if let rate = impair.rate { parts.append("rate \(rate.text)") }
        for setting in impair.netem { parts.append("\(setting.key) \(setting.value)") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }
}

/// How the hosts are made.
public enum Isolation: String, Sendable, CaseIterable {
    /// Namespaces when the runner may create them, otherwise this host.
    case auto
    /// Two network namespaces joined by a veth pair.
    case namespaces
    /// Both sides in one new network namespace (loopback up, the server's address on it), for
    /// programs that talk to `0.0.0.0` or `127.0.0.1`.
    case sameHost = "same_host"
    /// Both sides on this machine, on one of its real addresses.
    case host

    /// True when the runner makes network namespaces for it (when it may).
    public var makesNamespaces: Bool { self != .host }
}

public struct NetworkSpec: Sendable {
    /// Link impairments (namespace isolation only).
    public var impair: ImpairSpec?
    public var isolation: Isolation
    /// The server host's address; nil means the default for the isolation (10.99.0.2 or `auto`).
    public var serverIP: String?
    /// The client host's address in namespace mode; nil means 10.99.0.1.
    public var clientIP: String?
    /// Host names each side runs with (its own UTS namespace); nil keeps the machine's.
    public var serverHostname: String?
    public var clientHostname: String?
    /// Entries for both sides' hosts file: name and address (placeholders allowed), in order.
    public var hosts: [(name: String, address: String)]

    public init(
        impair: ImpairSpec? = nil, isolation: Isolation = .auto, serverIP: String? = nil, clientIP: String? = nil,
        serverHostname: String? = nil, clientHostname: String? = nil, hosts: [(name: String, address: String)] = []
    ) {
        self.impair = impair
        self.isolation = isolation
        self.serverIP = serverIP
        self.clientIP = clientIP
        self.serverHostname = serverHostname
        self.clientHostname = clientHostname
        self.hosts = hosts
    }
}

public struct TransferSpec: Sendable {
    public var protocols: [TransportProtocol]
    public var port: Int
    /// Absolute path of the file the client sends.
    public var file: String
    /// Absolute path of the standard file.
    public var standard: String
    public var repetitions: Int
    /// nil: each protocol's default (tcp 1 MiB, udp and rudp 1400 bytes).
    public var bufferSizes: [Int]?
}

/// How the link between the hosts is made worse.
public struct ImpairSpec: Sendable {
    /// Which way packets are impaired.
    public enum Direction: String, Sendable, CaseIterable {
        case toServer = "to_server", toClient = "to_client", both
    }

    /// Random packet loss in percent; one case per value. nil: no loss.
    public var losses: [Double]?
    public var direction: Direction
    /// A token-bucket rate limit.
    public var rate: Rate?
    /// Settings only the kernel's netem qdisc provides (delay, jitter, duplicate, reorder, corrupt).
    public var netem: [NetemSetting]
    /// With `hosts`: the scenario allows the runner to change the firewall of the machines the
    /// sides run on (`allow_remote`), for `loss`.
    public var allowRemote = false

    public struct Rate: Sendable {
        public var bitsPerSecond: UInt64
        /// As written, for tc and reports (`100mbit`).
        public var text: String
    }

    public struct NetemSetting: Sendable {
        public var key: String
        public var value: String
        public var mark: Mark
    }
}

/// A program to run instead of Ferry's own side.
public struct CommandSpec: Sendable {
    /// Program and arguments, with placeholders such as `{server_ip}`.
    public var command: [String]
    /// Absolute working folder; nil means the side's folder in the case's work folder.
    public var cwd: String?
    public var environment: [String: String]
    /// Where that server stores its copies, relative to its folder (server only).
    public var store: StoreSpec?
    /// The line that says the server is ready; nil means "the port accepts connections".
    public var ready: String?
    /// A folder copied afresh into the side's folder before it starts (placeholders allowed;
    /// relative to the scenario's folder).
    public var source: String?
    /// Files copied into the side's folder before it starts: name there, and the file (placeholders
    /// allowed; relative to the scenario's folder). Never judged as copies.
    public var files: [(name: String, path: String)]
    /// A command run in the side's folder after `source` and `files`, before the case.
    public var build: [String]?

    public init(
        command: [String], cwd: String? = nil, environment: [String: String] = [:], store: StoreSpec? = nil,
        ready: String? = nil, source: String? = nil, files: [(name: String, path: String)] = [], build: [String]? = nil
    ) {
        self.command = command
        self.cwd = cwd
        self.environment = environment
        self.store = store
        self.ready = ready
        self.source = source
        self.files = files
        self.build = build
    }
}

/// Where a server stores its copies.
public enum StoreSpec: Sendable, Equatable {
    /// Every new file in this folder is a copy.
    case folder(String)
    /// Copy n is exactly this path with `{n}` replaced by n (`receive{n}.txt`, `out/sentfile_{n}.txt`).
    case pattern(String)

    /// The folder the copies appear in (a pattern's folder part), relative or absolute as written.
    public var folder: String {
        switch self {
        case .folder(let path): return path
        case .pattern(let pattern):
            let parts = pattern.split(separator: "/", omittingEmptySubsequences: false)
            let folder = parts.dropLast().joined(separator: "/")
            return folder.isEmpty ? (pattern.hasPrefix("/") ? "/" : ".") : folder
        }
    }

    /// A pattern's file name part (`receive{n}.txt`); nil for a folder.
    public var namePattern: String? {
        guard case .pattern(let pattern) = self else { return nil }
        return pattern.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init)
    }
}

public struct Timeouts: Sendable {
    /// Seconds the server may take to become ready.
    public var ready: Double
    /// Seconds a whole case may take.
    public var caseLimit: Double
}

public struct Expectations: Sendable {
    public var exitCode: Int32
    public var maxIncorrect: Int?
    /// At least this many incorrect copies (to show that a protocol is unreliable).
    public var minIncorrect: Int?
    /// Percent.
    public var maxErrorRate: Double?
    public var maxAverageMs: Double?
    /// Check the assignment's required lines as Ferry prints them.
    public var seed: Bool
    public var server: [MessageRule]
    public var client: [MessageRule]
    public var match: MatchOptions
    /// Changes for some cases only.
    public var overrides: [ExpectationOverride]
    /// Points of built-in checks, by check name (`copies`, `server.exit`, ...).
    public var points: [String: Double]

    public init(
        exitCode: Int32 = 0, maxIncorrect: Int? = 0, minIncorrect: Int? = nil, maxErrorRate: Double? = nil,
        maxAverageMs: Double? = nil, seed: Bool = true, server: [MessageRule] = [], client: [MessageRule] = [],
        match: MatchOptions = MatchOptions(), overrides: [ExpectationOverride] = [], points: [String: Double] = [:]
    ) {
        self.exitCode = exitCode
        self.maxIncorrect = maxIncorrect
        self.minIncorrect = minIncorrect
        self.maxErrorRate = maxErrorRate
        self.maxAverageMs = maxAverageMs
        self.seed = seed
        self.server = server
        self.client = client
        self.match = match
        self.overrides = overrides
        self.points = points
    }
}

/// Expectations for the cases that match `protocol`, `loss` and `buffer_size` (each optional).
public struct ExpectationOverride: Sendable {
    public var transport: TransportProtocol?
    public var loss: Double?
    public var bufferSize: Int?
    public var maxIncorrect: Int?
    public var maxErrorRate: Double?
    public var minIncorrect: Int?
    public var maxAverageMs: Double?

    func matches(_ testCase: ScenarioCase) -> Bool {
        (transport == nil || transport == testCase.transport)
            && (loss == nil || loss == (testCase.loss ?? 0))
            && (bufferSize == nil || bufferSize == testCase.bufferSize)
    }

    func apply(to expectations: inout Expectations) {
        if let maxIncorrect {
            expectations.maxIncorrect = maxIncorrect
            expectations.maxErrorRate = nil
        }
        if let maxErrorRate {
            expectations.maxErrorRate = maxErrorRate
            expectations.maxIncorrect = nil
        }
        if let minIncorrect { expectations.minIncorrect = minIncorrect }
        if let maxAverageMs { expectations.maxAverageMs = maxAverageMs }
    }
}

/// One entry of an expected-messages list.
public struct MessageRule: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A line containing the text, at least once.
        case contains
        /// One matching line for every transfer, in order of n.
        case each
        /// Exactly one matching line.
        case once
        /// A line matching the regular expression.
        case regex
        /// No line (stdout or stderr) contains the text.
        case absent
    }

    public var kind: Kind
    public var text: String
    /// The last part of its check's name: `starting` in `server.lines.starting`, `2` in `server.messages.2`.
    public var name: String?
    /// Points for the entry; an `each` entry earns them in proportion to the transfers that have the line.
    public var points: Double?
    /// Where it was written, for reports.
    public var mark: Mark?

    public init(_ kind: Kind, _ text: String, name: String? = nil, points: Double? = nil, mark: Mark? = nil) {
        self.kind = kind
        self.text = text
        self.name = name
        self.points = points
        self.mark = mark
    }
}

/// How loosely lines are matched.
public struct MatchOptions: Sendable, Equatable {
    public var ignoreCase: Bool
    /// Drop every quote character before comparing.
    public var ignoreQuotes: Bool
    /// Read every punctuation character as a blank (a `.` between digits stays).
    public var ignorePunctuation: Bool
    /// `{nth}` accepts `1st`, `1 th`, `1th` and `1`, whatever the suffix.
    public var anyOrdinal: Bool
    /// The number a program prints for its first transfer: 1, or 0 for programs that count from 0.
    public var counterBase: Int

    public init(
        ignoreCase: Bool = false, ignoreQuotes: Bool = false, ignorePunctuation: Bool = false, anyOrdinal: Bool = false,
        counterBase: Int = 1
    ) {
        self.ignoreCase = ignoreCase
        self.ignoreQuotes = ignoreQuotes
        self.ignorePunctuation = ignorePunctuation
        self.anyOrdinal = anyOrdinal
        self.counterBase = counterBase
    }

    /// `expect.match: loose`: case, quotes and punctuation ignored, any ordinal.
    public static let loose = MatchOptions(ignoreCase: true, ignoreQuotes: true, ignorePunctuation: true, anyOrdinal: true)
}
