import FerryCore
import FerryScenario
import Foundation

/// `impair.loss` when the sides run on machines of their own (`hosts` with `allow_remote`): an
/// nftables table of the case's own on the receiving side's machine drops that share of the
/// packets of the scenario's port only: toward the server, packets arriving for the port on the
/// server's machine; toward the client, packets arriving from the port on the client's machine
/// (this machine, for a side that runs here). The tables go when the case ends, and on SIGINT.
struct HostLoss {
    /// One machine's table: how to run a shell line there, and what to say in errors.
    private struct Applied {
        let run: @Sendable (String) throws -> Void
        let label: String
    }

    /// `ferry_<token>`: the table of this case.
    let table: String
    private var applied: [Applied] = []

    /// A shell line on this machine.
    private static let local: @Sendable (String) throws -> Void = { line in try Tool.run(["sh", "-c", line]) }

    /// Adds the tables the case's loss asks for; nothing for a clean case.
    /// - Throws: one line when a machine cannot take the rule (no nftables, no root there).
    static func apply(_ testCase: ScenarioCase, remote: RemoteCase) throws -> HostLoss {
        var result = HostLoss(table: "ferry_\(NamespacePair.newToken())")
        guard let impair = testCase.scenario.network.impair, let loss = testCase.loss, loss > 0 else { return result }
        let port = testCase.scenario.transfer.port
        let threshold = Int((loss * 100).rounded())
        let run = { (side: RemoteSide?) -> (@Sendable (String) throws -> Void, String) in
            guard let side else { return (local, "this machine") }
            let session = side.session
            return ({ line in try session.require(line, doing: "network.impair.loss") }, session.host.label)
        }
        var targets: [(RemoteSide?, String)] = []
        if impair.direction != .toClient { targets.append((remote.server, "dport")) }
        if impair.direction != .toServer { targets.append((remote.client, "sport")) }
        let table = result.table
        do {
            for (side, field) in targets {
                let (line, label) = run(side)
                try line(rules(table: table, field: field, port: port, threshold: threshold))
                RemoteSessions.shared.onClose(table + label) { try? line("nft delete table inet \(table)") }
                result.applied.append(Applied(run: line, label: label))
            }
        } catch {
            result.remove()
            throw FerryRunError.environment("network.impair.loss needs nftables and root on each machine of the sides: \(error)")
        }
        return result
    }

    /// The nft commands: a table with an input chain dropping `threshold` in 10,000 tcp and udp
    /// packets whose `field` (dport, sport) is `port`.
    static func rules(table: String, field: String, port: Int, threshold: Int) -> String {
        "nft add table inet \(table) && nft add chain inet \(table) input '{ type filter hook input priority 0 ; }' && "
            + "nft add rule inet \(table) input meta l4proto '{ tcp, udp }' th \(field) \(port) numgen random mod 10000 '<' \(threshold) drop"
    }

    /// Removes every table this case added.
    func remove() {
        for machine in applied {
            try? machine.run("nft delete table inet \(table)")
            RemoteSessions.shared.closed(table + machine.label)
        }
    }
}
