import FerryCore
import FerryScenario
import Foundation

/// The sides of one case that run on other machines (`hosts`), with what each needs copied there:
/// Ferry's binaries (once per run, by `RemoteSessions`), the standard file for the server, the
/// file to send for the client. Local sides are nil.
struct RemoteCase {
    let server: RemoteSide?
    let client: RemoteSide?
    private var scenario: Scenario?

    /// No side remote.
    static let none = RemoteCase(server: nil, client: nil)

    init(server: RemoteSide?, client: RemoteSide?) {
        self.server = server
        self.client = client
        self.scenario = nil
    }

    /// Connects to the case's machines and copies what Ferry's own sides need: the standard
    /// file for the server, the file to send for the client. A program of the scenario's is
    /// staged later, from its prepared local folder (`stage`).
    /// - Throws: one line when a machine cannot be reached or prepared (exit status 3).
    init(scenario: Scenario, caseFolder: String, binaries: String) throws {
        // Ferry's own side gets its file now; a program of the scenario's with its folder (`stage`).
        func connect(_ host: RemoteHost?, _ side: CheckName.Side, own: Bool, file: String) throws -> RemoteSide? {
            guard let host else { return nil }
            let remote = RemoteSide(session: try RemoteSessions.shared.session(for: host, binaries: binaries), caseFolder: caseFolder, side: side)
            if own { try remote.prepare(uploading: [file]) }
            return remote
        }
        server = try connect(scenario.hosts.server, .server, own: scenario.server == nil, file: scenario.transfer.standard)
        client = try connect(scenario.hosts.client, .client, own: scenario.client == nil, file: scenario.transfer.file)
        self.scenario = scenario
    }

    /// The sides as they would be, for `--dry-run`: their paths there, nothing connected or made
    /// (`<run>` and `<token>` stand for what a run would choose).
    static func planned(_ scenario: Scenario, caseFolder: String) -> RemoteCase {
        let side = { (host: RemoteHost?, side: CheckName.Side) in
            host.map { RemoteSide(
                session: SSHSession(host: $0, token: "<run>", controlFolder: "", connectTimeout: RemoteSessions.connectTimeout),
                caseFolder: "\(caseFolder)-<token>", side: side) }
        }
        var planned = RemoteCase(server: side(scenario.hosts.server, .server), client: side(scenario.hosts.client, .client))
        planned.scenario = scenario
        return planned
    }

    /// Copies the prepared local folder of a program's side (its source and fixtures) there, with
    /// the file that side is given (`{standard_path}`, `{file_path}`). Nothing for a local side.
    func stage(_ side: CheckName.Side, from localFolder: String) throws {
        guard let remote = side == .server ? server : client, let scenario else { return }
        try remote.stage(localFolder, uploading: [side == .server ? scenario.transfer.standard : scenario.transfer.file])
    }

    /// The server's address as the client sees it: the scenario's, or with `auto` the address
    /// this machine reached the server's machine by (the third field of sshd's `SSH_CONNECTION`).
    func serverIP(_ network: NetworkSpec) throws -> String? {
        guard let server else { return nil }
        guard network.serverIP == "auto" || network.serverIP == nil else { return network.serverIP }
        return try server.ownAddress()
    }

    /// The placeholder values a remote side's command sees: its own paths on its machine (the
    /// store is the caller's, resolved in the side's remote folder).
    func values(_ values: [String: String], for side: CheckName.Side) -> [String: String] {
        var result = values
        if side == .server, let server {
            result["standard_path"] = "\(server.files)/\(URL(fileURLWithPath: values["standard_path"] ?? "").lastPathComponent)"
        }
        if side == .client, let client {
            result["file_path"] = "\(client.files)/\(URL(fileURLWithPath: values["file_path"] ?? "").lastPathComponent)"
        }
        return result
    }

    /// Removes the sides' folders there, once the copies were verified.
    func remove() {
        [server, client].compactMap { $0 }.forEach { $0.remove() }
    }

    /// Registers the remote sides as running: `RemoteSessions.closeAll` stops them on SIGINT.
    func started() {
        [server, client].compactMap { $0 }.forEach(RemoteSessions.shared.started)
    }

    /// Stops whatever still runs remotely (after a timeout, a ready line never printed).
    func stop() {
        for side in [server, client].compactMap({ $0 }) {
            side.stop()
            RemoteSessions.shared.ended(side)
        }
    }
}
