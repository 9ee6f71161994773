import FerryCore

/// The runner's `messages: seed` checks: the assignment's required lines in order, each built from
/// the `AssignmentLine` Ferry's own `server` and `client` print (`Messages` in FerryCore).
public enum SeedMessages {
    /// One required line: how often it must appear and the name of its check
    /// (`server.lines.<name>`, `client.lines.<name>`).
    public static func rule(_ kind: MessageRule.Kind, _ line: AssignmentLine, _ name: String) -> MessageRule {
        MessageRule(kind, line.template, name: name)
    }

    /// The server's required lines in order (requirement 9).
    public static let server: [MessageRule] = [
        rule(.once, Messages.serverReady, "ready"),
        rule(.each, Messages.serverStarting, "starting"),
        rule(.each, Messages.serverFinishing, "finishing"),
        rule(.each, Messages.serverTime, "time"),
        rule(.once, Messages.serverAverage, "average"),
        rule(.contains, Messages.done, "done"),
    ]

    /// The client's required lines in order (requirement 10).
    public static let client: [MessageRule] = [
        rule(.once, Messages.clientConnecting, "connecting"),
        rule(.each, Messages.clientSending, "sending"),
        rule(.each, Messages.clientFinishing, "finishing"),
        rule(.each, Messages.clientTime, "time"),
        rule(.once, Messages.clientAverage, "average"),
        rule(.contains, Messages.done, "done"),
    ]
}
