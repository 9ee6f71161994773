import FerryCore
import FerryScenario
import Foundation

/// `network.impair` when the sides run on machines of their own (`hosts` with `allow_remote`),
/// on those machines (this one, for a side that runs here):
///
/// - `loss`: an nftables table of the case's own (`ferry_<token>`) on the receiving side's
///   machine drops that share of the tcp and udp packets of the scenario's port only: toward the
///   server, packets arriving for the port; toward the client, packets arriving from it.
/// - `rate` and netem settings: a root qdisc (tbf, netem) on the sending side's interface toward
///   the other side (`ip route get`), added only where the interface has none of its own: an
///   existing root qdisc is never replaced.
///
/// Everything is removed when the case ends, and on SIGINT.
struct HostImpairment {
    /// One change on one machine: how to run a shell line there, and the line that undoes it.
    private struct Change {
        let run: @Sendable (String) throws -> Void
        let undo: String
        let key: String
    }

    private var changes: [Change] = []

    /// A shell line on this machine.
    private static let local: @Sendable (String) throws -> Void = { line in try Tool.run(["sh", "-c", line]) }

    /// How to run a shell line on a side's machine, and its name for messages.
    private static func machine(_ side: RemoteSide?) -> (run: @Sendable (String) throws -> Void, label: String) {
        guard let side else { return (local, "this machine") }
        let session = side.session
        return ({ line in try session.require(line, doing: "network.impair") }, session.host.label)
    }

    /// Makes the changes the case asks for; nothing for a clean case.
    /// - Parameter serverIP: the server's address as the client sees it.
    /// - Throws: one line when a machine cannot take them (no nftables or tc, no root there, an
    ///   interface with a root qdisc of its own).
    static func apply(_ testCase: ScenarioCase, remote: RemoteCase, serverIP: String) throws -> HostImpairment {
        var result = HostImpairment()
        guard let impair = testCase.scenario.network.impair else { return result }
        let token = NamespacePair.newToken()
        do {
            // Toward the server: the client sends, the server receives; toward the client, the reverse.
            var directions: [(receiver: RemoteSide?, field: String, sender: RemoteSide?, peer: () throws -> String)] = []
            if impair.direction != .toClient { directions.append((remote.server, "dport", remote.client, { serverIP })) }
            if impair.direction != .toServer {
                directions.append((remote.client, "sport", remote.server, { try clientAddress(remote) }))
            }
            for (index, direction) in directions.enumerated() {
                if let loss = testCase.loss, loss > 0 {
                    let table = "ferry_\(token)_\(index)"
                    let (run, label) = machine(direction.receiver)
                    let match = ["meta", "l4proto", "{ tcp, udp }", "th", direction.field, String(testCase.scenario.transfer.port)]
                    try result.change(
                        on: run, label: label,
                        line: Impairment.dropCommands(table: table, match: match, percent: loss)
                            .map { RunInfo.shellWords(["nft"] + $0) }.joined(separator: " && "),
                        undo: "nft delete table inet \(table)")
                }
                if let qdisc = Impairment.qdisc(impair) {
                    let (run, label) = machine(direction.sender)
                    let peer = try direction.peer()
                    // The interface toward the peer, found again for the undo (no file kept for it).
                    let device = "d=$(ip route get \(RunInfo.shellWords([peer])) | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p' | head -n 1); "
                    try result.change(
                        on: run, label: label,
                        line: device + "[ -n \"$d\" ] || { echo 'no route to \(peer)' >&2; exit 1; }; "
                            + "tc qdisc add dev \"$d\" root \(RunInfo.shellWords(qdisc)) || { echo \"$d has a root qdisc of its own "
                            + "(tc qdisc show dev $d); it is not replaced\" >&2; exit 1; }",
                        undo: device + "[ -n \"$d\" ] && tc qdisc del dev \"$d\" root")
                }
            }
        } catch {
            result.remove()
            throw FerryRunError.environment("network.impair on the sides' machines (allow_remote): \(error)")
        }
        return result
    }

    /// The client's address as the server sees it: the client machine's address the runner
    /// reached it by, or, for a client here, this machine's address as the server's sshd saw it.
    private static func clientAddress(_ remote: RemoteCase) throws -> String {
        if let client = remote.client { return try client.ownAddress() }
        guard let server = remote.server else { throw FerryError("no side runs on another machine") }
        return try server.peerAddress()
    }

    private mutating func change(on run: @escaping @Sendable (String) throws -> Void, label: String, line: String, undo: String) throws {
        try run(line)
        let key = "\(label) \(undo)"
        RemoteSessions.shared.onClose(key) { try? run(undo) }
        changes.append(Change(run: run, undo: undo, key: key))
    }

    /// Undoes every change, last first.
    func remove() {
        for change in changes.reversed() {
            try? change.run(change.undo)
            RemoteSessions.shared.closed(change.key)
        }
    }
}
