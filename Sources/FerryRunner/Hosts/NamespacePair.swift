import FerryCore
import Foundation
import Glibc

/// Two network namespaces joined by a veth pair: the server host and the client host.
///
/// Each side gets its address as a host address (/32 or /128) with a route to the other side,
/// so any two addresses of one family work, IPv4 or IPv6. Names carry a random token, so
/// pairs of concurrent runs never collide. `remove()` kills whatever still runs inside and
/// deletes both namespaces (the veth pair goes with them); it must be called exactly once.
public final class NamespacePair: @unchecked Sendable {
    /// The server side's namespace name, `ferry-<token>-srv`.
    public let serverNamespace: String
    /// The client side's namespace name, `ferry-<token>-cli`.
    public let clientNamespace: String
    /// The server host's address.
    public let serverAddress: String
    /// The client host's address.
    public let clientAddress: String
    /// The server side's end of the veth pair.
    public let serverLink: String
    /// The client side's end of the veth pair.
    public let clientLink: String
    private var removed = false

    /// Creates both namespaces and the link between them.
    /// - Throws: `FerryRunError.environment` when a step fails (everything made so far is removed).
    public init(serverAddress: String, clientAddress: String, token: String = NamespacePair.newToken()) throws {
        let server = try SocketAddress(host: serverAddress, port: 0)
        let client = try SocketAddress(host: clientAddress, port: 0)
        guard server.family == client.family else {
            throw FerryRunError.invalidScenario("server address \(serverAddress) and client address \(clientAddress) are not of one family")
        }
        self.serverAddress = server.host
        self.clientAddress = client.host
        serverNamespace = "ferry-\(token)-srv"
        clientNamespace = "ferry-\(token)-cli"
        serverLink = "fy\(token)s"
        clientLink = "fy\(token)c"
        let isIPv6 = server.family == AF_INET6
        let hostPrefix = isIPv6 ? "/128" : "/32"
        let addressOptions = isIPv6 ? ["nodad"] : []
        let steps: [[String]] = [
            ["ip", "netns", "add", serverNamespace],
            ["ip", "netns", "add", clientNamespace],
            ["ip", "link", "add", serverLink, "netns", serverNamespace, "type", "veth", "peer", "name", clientLink,
             "netns", clientNamespace],
            ["ip", "-n", serverNamespace, "link", "set", "lo", "up"],
            ["ip", "-n", clientNamespace, "link", "set", "lo", "up"],
            ["ip", "-n", serverNamespace, "addr", "add", self.serverAddress + hostPrefix, "dev", serverLink] + addressOptions,
            ["ip", "-n", clientNamespace, "addr", "add", self.clientAddress + hostPrefix, "dev", clientLink] + addressOptions,
            ["ip", "-n", serverNamespace, "link", "set", serverLink, "up"],
            ["ip", "-n", clientNamespace, "link", "set", clientLink, "up"],
            ["ip", "-n", serverNamespace, "route", "add", self.clientAddress + hostPrefix, "dev", serverLink],
            ["ip", "-n", clientNamespace, "route", "add", self.serverAddress + hostPrefix, "dev", clientLink],
        ]
        // Made while holding the registry's creation lock, so an interrupted run's `removeAll`
        // waits for a pair half made and then removes it.
        try NamespaceRegistry.shared.creating(self) {
            do {
                for step in steps { try Tool.run(step) }
            } catch {
                remove()
                throw error
            }
        }
    }

    deinit {
        assert(removed, "NamespacePair \(serverNamespace) leaked: remove() was never called")
    }

    /// Six hex digits from the system's random source.
    public static func newToken() -> String {
        let value = UInt32.random(in: 0..<0x100_0000)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 6 - hex.count) + hex
    }

    /// `arguments` wrapped to run inside the server's namespace.
    public func inServer(_ arguments: [String]) -> [String] { ["ip", "netns", "exec", serverNamespace] + arguments }
    /// `arguments` wrapped to run inside the client's namespace.
    public func inClient(_ arguments: [String]) -> [String] { ["ip", "netns", "exec", clientNamespace] + arguments }

    /// For a pair that was never made.
    fileprivate func markRemoved() { removed = true }

    /// Kills every process still inside either namespace, then deletes both. Idempotent.
    public func remove() {
        guard !removed else { return }
        removed = true
        for namespace in [serverNamespace, clientNamespace] {
            Self.killProcesses(in: namespace)
            _ = try? Tool.run(["ip", "netns", "del", namespace])
        }
        NamespaceRegistry.shared.remove(self)
    }

    /// SIGKILL to every process in `namespace` (from `ip netns pids`), until none is left.
    static func killProcesses(in namespace: String) {
        for _ in 0..<50 {
            guard let listing = try? Tool.run(["ip", "netns", "pids", namespace]) else { return }
            let pids = listing.split(whereSeparator: \.isNewline).compactMap { Int32($0) }
            if pids.isEmpty { return }
            for pid in pids { kill(pid, SIGKILL) }
            usleep(20_000)
        }
    }
}

/// The namespace pairs alive in this process, so that an interrupted run can remove them.
public final class NamespaceRegistry: @unchecked Sendable {
    public static let shared = NamespaceRegistry()
    private let pairs = LiveObjects<NamespacePair>()
    /// Held while a pair is being made, so `removeAll` waits for it.
    private let creation = NSLock()

    /// Registers `pair` and runs `make`, unless the registry was closed by `removeAll`.
    func creating(_ pair: NamespacePair, _ make: () throws -> Void) throws {
        creation.lock()
        defer { creation.unlock() }
        if pairs.isClosed {
            pair.markRemoved()
            throw FerryRunError.environment("namespaces not made: the run is being interrupted")
        }
        pairs.insert(pair)
        try make()
    }

    func remove(_ pair: NamespacePair) { pairs.remove(pair) }

    /// Removes every pair still alive, after any pair being made is complete; no pair is made afterwards.
    public func removeAll() {
        creation.lock()
        defer { creation.unlock() }
        for pair in pairs.close() { pair.remove() }
    }
}
