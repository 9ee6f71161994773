import FerryCore
import Foundation
import Glibc
import Synchronization

/// Two network namespaces joined by a veth pair: the server host and the client host; or, for
/// `same_host`, one namespace that is both (loopback up, holding the server's address too).
///
/// Each side gets its address as a host address (/32 or /128) with a route to the other side,
/// so any two addresses of one family work, IPv4 or IPv6. Names carry a random token, so
/// pairs of concurrent runs never collide. `remove()` kills whatever still runs inside and
/// deletes the namespaces (the veth pair goes with them) and their hosts files; it must be
/// called exactly once.
public final class NamespacePair: Sendable {
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
    /// True when both sides share one namespace (`same_host`).
    public let isShared: Bool
    /// True once removed; held for the whole removal, so that a second caller (the signal thread
    /// while the run removes the pair) waits until the namespaces are really gone.
    private let removed = Mutex<Bool>(false)

    /// The namespaces, once each.
    public var namespaces: [String] { isShared ? [serverNamespace] : [serverNamespace, clientNamespace] }

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
        isShared = false
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
        try make(steps)
    }

    /// Creates one namespace for both sides: loopback up, with `address` on it too (traffic to any
    /// local address crosses loopback; a dummy link would change nothing, and not every kernel has one).
    /// - Throws: `FerryRunError.environment` when a step fails (everything made so far is removed).
    public init(sharedAddress: String, token: String = NamespacePair.newToken()) throws {
        let address = try SocketAddress(host: sharedAddress, port: 0)
        serverAddress = address.host
        clientAddress = address.host
        serverNamespace = "ferry-\(token)-one"
        clientNamespace = serverNamespace
        serverLink = "lo"
        clientLink = "lo"
        isShared = true
        let isIPv6 = address.family == AF_INET6
        let steps: [[String]] = [
            ["ip", "netns", "add", serverNamespace],
            ["ip", "-n", serverNamespace, "link", "set", "lo", "up"],
            ["ip", "-n", serverNamespace, "addr", "add", serverAddress + (isIPv6 ? "/128" : "/32"), "dev", "lo"]
                + (isIPv6 ? ["nodad"] : []),
        ]
        try make(steps)
    }

    /// Runs the `ip` steps that make the namespaces, while holding the registry's creation lock,
    /// so an interrupted run's `removeAll` waits for a pair half made and then removes it; a step
    /// that fails removes everything made so far.
    private func make(_ steps: [[String]]) throws {
        try NamespaceRegistry.shared.creating(self) {
            do {
                for step in steps { try Tool.run(step) }
            } catch {
                remove()
                throw error
            }
        }
    }

    /// Writes the hosts file `ip netns exec` shows each namespace as `/etc/hosts`
    /// (`/etc/netns/<namespace>/hosts`): localhost and `entries`. Removed with the namespaces.
    public func writeHostsFile(_ entries: [(name: String, address: String)]) throws {
        var text = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        for entry in entries { text += "\(entry.address)\t\(entry.name)\n" }
        for namespace in namespaces {
            let folder = "\(Self.etcFolder)/\(namespace)"
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                try text.write(toFile: "\(folder)/hosts", atomically: true, encoding: .utf8)
            } catch {
                throw FerryRunError.environment("network.hosts: cannot write \(folder)/hosts: \(error.localizedDescription)")
            }
        }
    }

    /// Where `ip netns exec` finds per-namespace files.
    static let etcFolder = "/etc/netns"

    deinit {
        assert(removed.withLock { $0 }, "NamespacePair \(serverNamespace) leaked: remove() was never called")
    }

    /// Six hex digits from the system's random source.
    public static func newToken() -> String {
        let value = UInt32.random(in: 0..<0x100_0000)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 6 - hex.count) + hex
    }

    /// `arguments` wrapped to run inside the server's namespace, with host name `hostname` if given.
    public func inServer(_ arguments: [String], hostname: String? = nil) -> [String] {
        ["ip", "netns", "exec", serverNamespace] + Self.withHostname(hostname, arguments)
    }
    /// `arguments` wrapped to run inside the client's namespace, with host name `hostname` if given.
    public func inClient(_ arguments: [String], hostname: String? = nil) -> [String] {
        ["ip", "netns", "exec", clientNamespace] + Self.withHostname(hostname, arguments)
    }

    /// `arguments` run in a UTS namespace of their own whose host name is `hostname`: util-linux's
    /// `unshare --uts`, then the name written to /proc (no `hostname` program needed).
    static func withHostname(_ hostname: String?, _ arguments: [String]) -> [String] {
        guard let hostname else { return arguments }
        return ["unshare", "--uts", "--", "sh", "-c", "printf %s \"$0\" > /proc/sys/kernel/hostname && exec \"$@\"", hostname]
            + arguments
    }

    /// For a pair that was never made.
    fileprivate func markRemoved() { removed.withLock { $0 = true } }

    /// Kills every process still inside either namespace, then deletes both. Idempotent.
    public func remove() {
        let first = removed.withLock { done -> Bool in
            guard !done else { return false }
            for namespace in namespaces {
                Self.killProcesses(in: namespace)
                _ = try? Tool.run(["ip", "netns", "del", namespace])
                try? FileManager.default.removeItem(atPath: "\(Self.etcFolder)/\(namespace)")
            }
            done = true
            return true
        }
        if first { NamespaceRegistry.shared.remove(self) }
    }

    /// SIGKILL to every process in `namespace` (from `ip netns pids`), until none is left.
    public static func killProcesses(in namespace: String) {
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
