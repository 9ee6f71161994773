import FerryCore
import Foundation

/// nftables counters in the server's namespace that count what arrived at the server's port,
/// once per connection (a conntrack entry): all TCP connections, and connections and UDP flows by
/// destination, the server's address or loopback.
///
/// Each new flow is counted once, then marked on its conntrack entry, so retransmitted SYNs are
/// not counted again; the chain runs after the impairment's drop rules (priority 10 > 0), so a
/// SYN that was dropped is not counted either. The table lives in the case's own namespace and
/// goes with it.
public struct FlowCounters: Sendable {
    /// What the counters read after the case.
    public struct Counts: Equatable, Sendable {
        /// New TCP connections to the port.
        public var connections: Int
        /// New connections and UDP flows to the server's address.
        public var toServerAddress: Int
        /// New connections and UDP flows to a loopback address.
        public var toLoopback: Int
    }

    static let table = "ferrycount"
    /// The conntrack mark of a flow already counted ("FR").
    static let countedMark = "0x4652"

    public let namespace: String

    /// Installs the counters in `namespace` for `port` and `serverIP`.
    /// - Throws: `FerryRunError.environment` when nftables is missing or refuses the rules.
    public init(namespace: String, port: Int, serverIP: String) throws {
        self.namespace = namespace
        let family = serverIP.contains(":") ? "ip6" : "ip"
        let flows = "meta l4proto { tcp, udp } th dport \(port) ct state new ct mark != \(Self.countedMark)"
        let ruleset = """
            table inet \(Self.table) {
              counter connections {}
              counter server_address {}
              counter loopback {}
              chain input {
                type filter hook input priority 10;
                \(flows) ip daddr 127.0.0.0/8 counter name "loopback"
                \(flows) ip6 daddr ::1 counter name "loopback"
                \(flows) \(family) daddr \(serverIP) counter name "server_address"
                meta l4proto tcp th dport \(port) ct state new ct mark != \(Self.countedMark) counter name "connections"
                \(flows) ct mark set \(Self.countedMark)
              }
            }
            """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-\(NamespacePair.newToken()).nft").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        do {
            try ruleset.write(toFile: file, atomically: true, encoding: .utf8)
            try Tool.run(["ip", "netns", "exec", namespace, "nft", "-f", file])
        } catch let error as FerryRunError {
            throw FerryRunError.environment("counting connections needs nftables (Debian package nftables): \(error)")
        }
    }

    /// The counts so far; nil when they cannot be read.
    public func read() -> Counts? {
        guard let text = try? Tool.run(["ip", "netns", "exec", namespace, "nft", "list", "table", "inet", Self.table]) else { return nil }
        var packets: [String: Int] = [:]
        var current: String?
        for line in text.split(separator: "\n") {
            let words = line.split(whereSeparator: \.isWhitespace)
            if words.first == "counter", words.count >= 2 { current = String(words[1]) }
            if let name = current, let index = words.firstIndex(of: "packets"), index + 1 < words.count {
                packets[name] = Int(words[index + 1])
                current = nil
            }
        }
        guard let connections = packets["connections"], let server = packets["server_address"], let loopback = packets["loopback"]
        else { return nil }
        return Counts(connections: connections, toServerAddress: server, toLoopback: loopback)
    }
}
