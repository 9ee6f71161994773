import FerryCore
import FerryScenario

/// Where the two sides of a case run: in a namespace pair, in one shared namespace, or both on
/// this machine.
public final class CaseHosts {
    /// The isolation actually used.
    public enum Mode: String, Sendable {
        case namespaces
        case sameHost = "same_host"
        case host
    }

    public let mode: Mode
    public let serverIP: String
    public let clientIP: String
    /// The namespaces in namespace and same-host mode.
    public let pair: NamespacePair?
    private let serverHostname: String?
    private let clientHostname: String?

    /// Makes the hosts for one case; `values` fill in placeholders of `network.hosts`. With a
    /// server on another machine (`remoteServerIP`, host mode), its address is that machine's.
    public init(mode: Mode, network: NetworkSpec, values: [String: String] = [:], remoteServerIP: String? = nil) throws {
        self.mode = mode
        serverHostname = network.serverHostname
        clientHostname = network.clientHostname
        let (server, client) = try remoteServerIP.map { ($0, $0) } ?? Self.addresses(mode, network)
        switch mode {
        case .namespaces:
            pair = try NamespacePair(serverAddress: server, clientAddress: client)
        case .sameHost:
            pair = try NamespacePair(sharedAddress: server)
        case .host:
            serverIP = server
            clientIP = client
            pair = nil
            return
        }
        serverIP = pair!.serverAddress
        clientIP = pair!.clientAddress
        if !network.hosts.isEmpty {
            var filled = values
            filled["server_ip"] = serverIP
            filled["client_ip"] = clientIP
            do {
                try pair!.writeHostsFile(network.hosts.map { ($0.name, Placeholders.expand($0.address, with: filled)) })
            } catch {
                pair!.remove()
                throw error
            }
        }
    }

    /// The server's and the client's addresses in `mode`, without making anything: the
    /// scenario's, else 10.99.0.2 and 10.99.0.1 (fd00:99::1 beside an IPv6 server) between two
    /// namespaces, one address in `same_host`, and this machine's own in `host`.
    /// - Throws: in host mode, when `server_ip` names no address of this machine.
    public static func addresses(_ mode: Mode, _ network: NetworkSpec) throws -> (server: String, client: String) {
        let server = network.serverIP.flatMap { $0 == "auto" ? nil : $0 } ?? "10.99.0.2"
        switch mode {
        case .namespaces:
            return (server, network.clientIP ?? (server.contains(":") ? "fd00:99::1" : "10.99.0.1"))
        case .sameHost:
            return (server, server)
        case .host:
            let requested = network.serverIP ?? "auto"
            let resolved: String
            do {
                resolved = try AddressPolicy.resolve(requested, port: 0, allowLoopback: false).host
            } catch {
                throw FerryRunError.environment("host isolation: server_ip \(requested): \(error)")
            }
            // On this machine's own network the server can only listen on one of its addresses.
            let own = (try? InterfaceAddress.current().map(\.address)) ?? []
            if requested != "auto" && !own.isEmpty && !own.contains(resolved) {
                throw FerryRunError.environment(
                    "host isolation: server_ip \(requested) is not an address of this machine; give it to a network namespace "
                        + "(isolation: namespaces, as root), or pass --set network.server_ip=auto to use this machine's own address")
            }
            return (resolved, resolved)
        }
    }

    /// The server's command, wrapped to run on the server host.
    public func onServer(_ arguments: [String]) -> [String] {
        pair?.inServer(arguments, hostname: serverHostname) ?? arguments
    }
    /// The client's command, wrapped to run on the client host.
    public func onClient(_ arguments: [String]) -> [String] {
        pair?.inClient(arguments, hostname: clientHostname) ?? arguments
    }

    /// Removes the namespaces (killing what still runs in them). Call once.
    public func remove() { pair?.remove() }

    /// Chooses the isolation for a scenario. `namespaces` and `same_host` without privileges are
    /// an environment error.
    /// - Returns: the mode and a note saying why, printed by the runner.
    public static func choose(_ requested: Isolation, unavailableReason: String?) throws -> (Mode, String) {
        switch requested {
        case .namespaces, .sameHost:
            if let unavailableReason { throw FerryRunError.environment("isolation: \(requested.rawValue): \(unavailableReason)") }
            return requested == .sameHost ? (.sameHost, "same_host") : (.namespaces, "namespaces")
        case .host:
            return (.host, "host")
        case .auto:
            if let unavailableReason { return (.host, "host (auto: \(unavailableReason))") }
            return (.namespaces, "namespaces (auto: allowed to create network namespaces)")
        }
    }
}
