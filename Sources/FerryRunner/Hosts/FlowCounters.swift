import FerryCore
import Foundation

/// nftables counters in the server's namespace: TCP connections the server accepted on its port,
/// new flows by destination (the server's address on the port; loopback on any port but 53, a
/// local DNS resolver), and the bytes that arrived at the port.
///
/// A connection counts when the server's SYN-ACK leaves (a refused attempt gets a reset, not a
/// SYN-ACK), once per conntrack entry (a mark), so retransmissions are not counted again. The
/// chains run after the impairment's drop rules (priority 10 > 0), so a dropped packet is not
/// counted. The table lives in the case's own namespace and goes with it.
public struct FlowCounters: Sendable {
    /// What the counters read after the case.
    public struct Counts: Equatable, Sendable {
        /// TCP connections the server accepted on the port.
        public var connections: Int
        /// New connections and UDP flows to the server's address and port.
        public var toServerAddress: Int
        /// New connections and UDP flows to a loopback address, on any port.
        public var toLoopback: Int
        /// Bytes of the packets that arrived at the port, headers included: at least what the
        /// copies that crossed the network hold.
        public var bytesToPort: UInt64

        public init(connections: Int, toServerAddress: Int, toLoopback: Int, bytesToPort: UInt64) {
            self.connections = connections
            self.toServerAddress = toServerAddress
            self.toLoopback = toLoopback
            self.bytesToPort = bytesToPort
        }
    }

    static let table = "ferrycount"

    public let namespace: String

    /// Installs the counters in `namespace` for `port` and `serverIP`; with `fromOutsideOnly`
    /// (two hosts), connections and bytes count only when they come from the other host, not over
    /// loopback, so a server cannot feed itself.
    /// - Throws: `FerryRunError.environment` when nftables is missing or refuses the rules.
    public init(namespace: String, port: Int, serverIP: String, fromOutsideOnly: Bool = true) throws {
        self.namespace = namespace
        let family = serverIP.contains(":") ? "ip6" : "ip"
        let outside = fromOutsideOnly ? "iifname != \"lo\" " : ""
        let outgoing = fromOutsideOnly ? "oifname != \"lo\" " : ""
        // Mark bits: 0x1 a new flow was counted, 0x2 an accepted connection was counted.
        let fresh = "ct state new ct mark and 0x1 == 0"
        let ruleset = """
            table inet \(Self.table) {
              counter connections {}
              counter server_address {}
              counter loopback {}
              counter bytes_in {}
              chain input {
                type filter hook input priority 10;
                \(outside)meta l4proto { tcp, udp } th dport \(port) counter name "bytes_in"
                \(fresh) meta l4proto { tcp, udp } ip daddr 127.0.0.0/8 th dport != 53 counter name "loopback"
                \(fresh) meta l4proto { tcp, udp } ip6 daddr ::1 th dport != 53 counter name "loopback"
                \(fresh) meta l4proto { tcp, udp } th dport \(port) \(family) daddr \(serverIP) counter name "server_address"
                ct state new ct mark set ct mark or 0x1
              }
              chain output {
                type filter hook output priority 10;
                \(outgoing)tcp sport \(port) tcp flags & (syn | ack) == syn | ack ct mark and 0x2 == 0 counter name "connections" ct mark set ct mark or 0x2
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
        var bytes: [String: UInt64] = [:]
        var current: String?
        for line in text.split(separator: "\n") {
            let words = line.split(whereSeparator: \.isWhitespace)
            if words.first == "counter", words.count >= 2 { current = String(words[1]) }
            if let name = current, let index = words.firstIndex(of: "packets"), index + 3 < words.count {
                packets[name] = Int(words[index + 1])
                bytes[name] = UInt64(words[index + 3])
                current = nil
            }
        }
        guard let connections = packets["connections"], let server = packets["server_address"], let loopback = packets["loopback"],
            let arrived = bytes["bytes_in"]
        else { return nil }
        return Counts(connections: connections, toServerAddress: server, toLoopback: loopback, bytesToPort: arrived)
    }
}
