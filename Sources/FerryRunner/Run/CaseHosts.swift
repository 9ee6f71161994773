import FerryCore
import FerryScenario

/// Where the two sides of a case run: in a namespace pair, or both on this machine.
public final class CaseHosts {
    /// The isolation actually used.
    public enum Mode: String, Sendable { case namespaces, host }

    public let mode: Mode
    public let serverIP: String
    public let clientIP: String
    /// The namespace pair in namespace mode.
    public let pair: NamespacePair?

    /// Makes the hosts for one case.
    public init(mode: Mode, network: NetworkSpec) throws {
        self.mode = mode
        switch mode {
        case .namespaces:
            let server = network.serverIP.flatMap { $0 == "auto" ? nil : $0 } ?? "10.99.0.2"
            let client = network.clientIP ?? (server.contains(":") ? "fd00:99::1" : "10.99.0.1")
            let pair = try NamespacePair(serverAddress: server, clientAddress: client)
            self.pair = pair
            serverIP = pair.serverAddress
            clientIP = pair.clientAddress
        case .host:
            let requested = network.serverIP ?? "auto"
            do {
                serverIP = try AddressPolicy.resolve(requested, port: 0, allowLoopback: false).host
            } catch {
                throw FerryRunError.environment("host isolation: server_ip \(requested): \(error)")
            }
            clientIP = serverIP
            pair = nil
        }
    }

    /// The server's command, wrapped to run on the server host.
    public func onServer(_ arguments: [String]) -> [String] { pair?.inServer(arguments) ?? arguments }
    /// The client's command, wrapped to run on the client host.
    public func onClient(_ arguments: [String]) -> [String] { pair?.inClient(arguments) ?? arguments }

    /// Removes the namespaces (killing what still runs in them). Call once.
    public func remove() { pair?.remove() }

    /// Chooses the isolation for a scenario. `namespaces` without privileges is an environment error.
    /// - Returns: the mode and a note saying why, printed by the runner.
    public static func choose(_ requested: Isolation, unavailableReason: String?) throws -> (Mode, String) {
        switch requested {
        case .namespaces:
            if let unavailableReason { throw FerryRunError.environment("isolation: namespaces: \(unavailableReason)") }
            return (.namespaces, "namespaces")
        case .host:
            return (.host, "host")
        case .auto:
            if let unavailableReason { return (.host, "host (auto: \(unavailableReason))") }
            return (.namespaces, "namespaces (auto: allowed to create network namespaces)")
        }
    }
}
