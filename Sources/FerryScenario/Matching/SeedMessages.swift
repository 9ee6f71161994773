import FerryCore

/// The runner's `messages: seed` checks: the assignment's required lines in order, each built from
/// the `AssignmentLine` Ferry's own `server` and `client` print (`Messages` in FerryCore).
public enum SeedMessages {
    /// One required line: how often it must appear and the name of its check
    /// (`server.lines.<name>`, `client.lines.<name>`).
    public static func rule(_ kind: MessageRule.Kind, _ line: AssignmentLine, _ name: String) -> MessageRule {
        MessageRule(kind, line.template, name: name)
    }

    /// The server's required lines in order (requirement 9), named as `CheckName.seedLines`.
    public static let server: [MessageRule] = named(.server, [
        (.once, Messages.serverReady), (.each, Messages.serverStarting), (.each, Messages.serverFinishing),
        (.each, Messages.serverTime), (.once, Messages.serverAverage), (.contains, Messages.done),
    ])

    /// The client's required lines in order (requirement 10).
    public static let client: [MessageRule] = named(.client, [
        (.once, Messages.clientConnecting), (.each, Messages.clientSending), (.each, Messages.clientFinishing),
        (.each, Messages.clientTime), (.once, Messages.clientAverage), (.contains, Messages.done),
    ])

    /// The rules of one side.
    public static func rules(_ side: CheckName.Side) -> [MessageRule] { side == .server ? server : client }

    private static func named(_ side: CheckName.Side, _ lines: [(MessageRule.Kind, AssignmentLine)]) -> [MessageRule] {
        zip(lines, CheckName.seedLines[side] ?? []).map { rule($0.0, $0.1, $1) }
    }
}
