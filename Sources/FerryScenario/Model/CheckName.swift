/// The stable names of the runner's checks, used in reports, for `expect.points` and for filters.
/// docs/scenario-format.md lists them; a test keeps that list and this one in step.
public enum CheckName {
    /// `server.build`, `client.build`: the side's `build` command.
    public static func build(_ side: Side) -> String { "\(side).build" }
    /// `server.start`, `client.start`: the program could be started.
    public static func start(_ side: Side) -> String { "\(side).start" }
    /// The server printed its ready line or listened on the port.
    public static let serverReady = "server.ready"
    /// `server.exit`, `client.exit`: the exit status.
    public static func exit(_ side: Side) -> String { "\(side).exit" }
    /// Both sides ended within the case's time limit.
    public static let timeLimit = "time_limit"
    /// `server.lines.starting`: a seed line; `server.messages.2`: the scenario's second entry.
    public static func lines(_ side: Side, _ name: String) -> String { "\(side).lines.\(name)" }
    public static func messages(_ side: Side, _ name: String) -> String { "\(side).messages.\(name)" }
    /// `server.average`, `client.average`: the printed average is the mean of the printed times.
    public static func average(_ side: Side) -> String { "\(side).average" }
    /// The count of incorrect transfers the server printed is the runner's own.
    public static let incorrectReport = "server.incorrect_report"
    /// The runner's own verification of the stored copies.
    public static let copies = "copies"
    /// The client's average is within `expect.max_average_ms`.
    public static let maxAverage = "max_average_ms"
    /// One TCP connection per transfer (the assignment's non-persistent connections).
    public static let connections = "connections"
    /// The transfers crossed the server's address, not loopback (`same_host`).
    public static let realAddress = "real_address"

    public enum Side: String, Sendable, CustomStringConvertible {
        case server, client
        public var description: String { rawValue }
    }

    /// The seed lines' short names, per side, in order.
    public static let seedLines: [Side: [String]] = [
        .server: ["ready", "starting", "finishing", "time", "average", "done"],
        .client: ["connecting", "sending", "finishing", "time", "average", "done"],
    ]

    /// Every name `expect.points` may give points to, besides the scenario's own message entries.
    public static var builtIn: [String] {
        var names: [String] = []
        for side in [Side.server, .client] {
            names += [build(side), start(side)]
            if side == .server { names.append(serverReady) }
            names += [exit(side), average(side)]
            names += (seedLines[side] ?? []).map { lines(side, $0) }
        }
        return names + [timeLimit, incorrectReport, copies, maxAverage, connections, realAddress]
    }
}
