import FerryScenario

/// Makes the link between a namespace pair lossy or slow, as `network.impair` says.
///
/// Loss is an nftables rule in the receiving namespace (`numgen random mod 10000 < k drop`),
/// which works on kernels without netem; a rate alone is a tbf qdisc on the sending side;
/// delay, jitter, duplicate, reorder and corrupt need the netem qdisc, and a kernel without it
/// is an error that names the missing piece.
public enum Impairment {
    public static func apply(_ testCase: ScenarioCase, to pair: NamespacePair) throws {
        guard let impair = testCase.scenario.network.impair else { return }
        let toServer = impair.direction != .toClient
        let toClient = impair.direction != .toServer
        // (namespace of the receiving side, its link) and (namespace of the sending side, its link), per direction.
        var directions: [(receiver: (String, String), sender: (String, String))] = []
        if toServer { directions.append(((pair.serverNamespace, pair.serverLink), (pair.clientNamespace, pair.clientLink))) }
        if toClient { directions.append(((pair.clientNamespace, pair.clientLink), (pair.serverNamespace, pair.serverLink))) }
        // One shared namespace (same_host) has one path, loopback, for both directions.
        if pair.isShared { directions = Array(directions.prefix(1)) }
        for (receiver, sender) in directions {
            if let loss = testCase.loss, loss > 0 {
                try dropRandomly(percent: loss, namespace: receiver.0, link: receiver.1)
            }
            try shape(impair, namespace: sender.0, link: sender.1)
        }
    }

    /// The `nft` commands (arguments after `nft`) that drop `percent` of the arriving packets that
    /// `match` selects: a table `table` with an input chain and one rule.
    static func dropCommands(table: String, match: [String], percent: Double) -> [[String]] {
        let threshold = Int((percent * 100).rounded())
        return [["add", "table", "inet", table],
                ["add", "chain", "inet", table, "input", "{ type filter hook input priority 0 ; }"],
                ["add", "rule", "inet", table, "input"] + match + ["numgen", "random", "mod", "10000", "<", String(threshold), "drop"]]
    }

    /// Drops `percent` of the packets arriving on `link` in `namespace`.
    static func dropRandomly(percent: Double, namespace: String, link: String) throws {
        do {
            for command in dropCommands(table: "ferry", match: ["iifname", link], percent: percent) {
                try Tool.run(["ip", "netns", "exec", namespace, "nft"] + command)
            }
        } catch let error as FerryRunError {
            throw FerryRunError.environment("network.impair.loss needs nftables (Debian package nftables): \(error)")
        }
    }

    /// The root qdisc `impair` asks for, as `tc qdisc add … root` arguments: netem (with its rate)
    /// when a netem setting is given, else tbf for a rate alone; nil for neither.
    public static func qdisc(_ impair: ImpairSpec) -> [String]? {
        if !impair.netem.isEmpty {
            var arguments = ["netem"]
            let settings = Dictionary(uniqueKeysWithValues: impair.netem.map { ($0.key, $0.value) })
            if let delay = settings["delay"] { arguments += ["delay", delay] + (settings["jitter"].map { [$0] } ?? []) }
            for key in ["duplicate", "reorder", "corrupt"] { if let value = settings[key] { arguments += [key, value] } }
            if let rate = impair.rate { arguments += ["rate", rate.text] }
            return arguments
        }
        return impair.rate.map { ["tbf", "rate", $0.text, "burst", "64kb", "latency", "400ms"] }
    }

    /// Rate and netem settings on the sending side's link.
    static func shape(_ impair: ImpairSpec, namespace: String, link: String) throws {
        let tc = ["ip", "netns", "exec", namespace, "tc", "qdisc", "add", "dev", link, "root"]
        guard let qdisc = qdisc(impair) else { return }
        if !impair.netem.isEmpty {
            do {
                try Tool.run(tc + qdisc)
            } catch {
                let keys = impair.netem.map { "network.impair.\($0.key)" }.joined(separator: ", ")
                let verb = impair.netem.count == 1 ? "needs" : "need"
                throw FerryRunError.environment(
                    "\(keys) \(verb) the kernel's netem qdisc (module sch_netem), which this kernel does not provide: \(error)")
            }
        } else {
            do {
                try Tool.run(tc + qdisc)
            } catch {
                throw FerryRunError.environment("network.impair.rate needs the tbf qdisc: \(error)")
            }
        }
    }
}
