/// A scenario file, decoded and validated: what to run and what to expect. See docs/scenario-format.md.
public struct Scenario: Sendable {
    /// The scenario file as the user named it.
    public var path: String
    public var name: String
    public var description: String?
    public var network: NetworkSpec
    public var transfer: TransferSpec
    /// The server to run; nil means Ferry's own.
    public var server: CommandSpec?
    /// The client to run; nil means Ferry's own.
    public var client: CommandSpec?
    public var timeouts: Timeouts
    public var expect: Expectations

    /// One case per protocol and buffer size, in that order.
    public var cases: [ScenarioCase] {
        var result: [ScenarioCase] = []
        let several = transfer.protocols.count * transfer.bufferSizes.count > 1
        for transport in transfer.protocols {
            for bufferSize in transfer.bufferSizes {
                let name = several ? "\(self.name)[\(transport.rawValue),\(bufferSize)]" : self.name
                result.append(ScenarioCase(scenario: self, name: name, transport: transport, bufferSize: bufferSize))
            }
        }
        return result
    }
}

/// One run of both sides: a scenario at one protocol and buffer size.
public struct ScenarioCase: Sendable {
    public var scenario: Scenario
    /// `tcp-100`, or `buffers[tcp,4096]` when the scenario has several cases.
    public var name: String
    public var transport: Transport
    public var bufferSize: Int
}

/// How the hosts are made.
public enum Isolation: String, Sendable, CaseIterable {
    /// Namespaces when the runner may create them, otherwise this host.
    case auto
    /// Two network namespaces joined by a veth pair.
    case namespaces
    /// Both sides on this machine, on one of its real addresses.
    case host
}

/// The transport protocol of a case.
public enum Transport: String, Sendable, CaseIterable {
    case tcp
}

public struct NetworkSpec: Sendable {
    public var isolation: Isolation
    /// The server host's address; nil means the default for the isolation (10.99.0.2 or `auto`).
    public var serverIP: String?
    /// The client host's address in namespace mode; nil means 10.99.0.1.
    public var clientIP: String?
}

public struct TransferSpec: Sendable {
    public var protocols: [Transport]
    public var port: Int
    /// Absolute path of the file the client sends.
    public var file: String
    /// Absolute path of the standard file.
    public var standard: String
    public var repetitions: Int
    public var bufferSizes: [Int]
}

/// A program to run instead of Ferry's own side.
public struct CommandSpec: Sendable {
    /// Program and arguments, with placeholders such as `{server_ip}`.
    public var command: [String]
    /// Absolute working folder; nil means the case's work folder.
    public var cwd: String?
    public var environment: [String: String]
    /// Where that server stores its copies, relative to `cwd` (server only).
    public var store: String?
    /// The line that says the server is ready; nil means "the port accepts connections".
    public var ready: String?
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
    /// Percent.
    public var maxErrorRate: Double?
    public var maxAverageMs: Double?
    /// Check the assignment's required lines as Ferry prints them.
    public var seed: Bool
    public var server: [MessageRule]
    public var client: [MessageRule]
    public var match: MatchOptions
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
    /// Where it was written, for reports.
    public var mark: Mark?

    public init(_ kind: Kind, _ text: String, mark: Mark? = nil) {
        self.kind = kind
        self.text = text
        self.mark = mark
    }
}

/// How loosely lines are matched.
public struct MatchOptions: Sendable, Equatable {
    public var ignoreCase: Bool
    /// Drop every quote character before comparing.
    public var ignoreQuotes: Bool

    public init(ignoreCase: Bool = false, ignoreQuotes: Bool = false) {
        self.ignoreCase = ignoreCase
        self.ignoreQuotes = ignoreQuotes
    }
}
