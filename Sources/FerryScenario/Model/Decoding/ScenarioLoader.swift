import FerryCore
import Foundation

/// Reads and validates scenario files. Every problem is a `SourceError` with file, line and column.
public enum ScenarioLoader {
    /// Loads the scenario at `path`.
    /// - Throws: `SourceError` for a YAML or validation error, `FerryError` when the file cannot be read.
    public static func load(path: String, overrides: [ScenarioOverride] = []) throws -> Scenario {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FerryError("\(path): cannot read the scenario file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FerryError("\(path): the scenario file is not UTF-8 text")
        }
        return try decode(text, path: path, overrides: overrides)
    }

    /// Decodes scenario text with `overrides` applied, validated like the file; relative paths in
    /// it are taken from the folder of `path`.
    public static func decode(_ text: String, path: String, overrides: [ScenarioOverride] = []) throws -> Scenario {
        var root = try YAMLDocument.parse(text, path: path)
        for override in overrides { try override.apply(to: &root) }
        var reader = NodeReader(path: path, text: text)
        for override in overrides { reader.overrideTexts[override.label] = override.valueText }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try ScenarioDecoder(reader: reader, folder: folder).scenario(root)
    }
}

/// Turns a YAML tree into a `Scenario`, one section per file (`ScenarioDecoder+Network.swift`, ...).
struct ScenarioDecoder {
    let reader: NodeReader
    let folder: String

    func scenario(_ root: YAMLNode) throws -> Scenario {
        let fields = try reader.mapping(
            root, named: "", allowed: ["name", "description", "network", "hosts", "transfer", "server", "client", "timeouts", "expect"],
            required: ["transfer"])
        let name = try fields["name"].map { try reader.string($0, "name") }
            ?? URL(fileURLWithPath: reader.path).deletingPathExtension().lastPathComponent
        let transfer = try self.transfer(fields["transfer"]!)
        var scenario = Scenario(
            path: reader.path,
            name: name,
            description: try fields["description"].map { try reader.string($0, "description") },
            network: try network(fields["network"]),
            transfer: transfer,
            server: try fields["server"].map { try command($0, side: "server") },
            client: try fields["client"].map { try command($0, side: "client") },
            timeouts: try timeouts(fields["timeouts"]),
            expect: try expectations(fields["expect"]))
        scenario.line = fields["name"]?.mark.line ?? 1
        scenario.hosts = try hosts(fields["hosts"])
        try checkRemote(scenario, fields)
        return scenario
    }

    /// What a side on another machine rules out: anything that needs the runner's namespaces.
    private func checkRemote(_ scenario: Scenario, _ fields: Fields) throws {
        if scenario.network.impair?.allowRemote == true && !scenario.hosts.anyRemote, let network = fields["network"] {
            throw reader.error("'impair.allow_remote' is for scenarios with 'hosts'", at: network.mark)
        }
        guard scenario.hosts.anyRemote, let mark = fields["hosts"]?.mark else { return }
        let network = scenario.network
        if [.namespaces, .sameHost].contains(network.isolation) {
            throw reader.error("'hosts' runs a side on another machine: 'isolation' must be auto or host, not '\(network.isolation.rawValue)'", at: mark)
        }
        if network.serverHostname != nil || network.clientHostname != nil || !network.hosts.isEmpty {
            throw reader.error("'hosts' runs a side on another machine: 'network.hostnames' and 'network.hosts' need namespaces", at: mark)
        }
        if let impair = network.impair, !impair.allowRemote {
            throw reader.error("'impair' with 'hosts' changes the firewall and qdisc of the machines the sides run on: "
                + "set 'impair.allow_remote: true' to allow it", at: mark)
        }
        // A program of the scenario's runs there from its folder, which the runner copies.
        for (side, spec, host) in [("server", scenario.server, scenario.hosts.server), ("client", scenario.client, scenario.hosts.client)] {
            guard let spec, host != nil else { continue }
            if spec.cwd != nil {
                throw reader.error("'\(side).cwd' names a folder on this machine; a side on another machine runs in a folder the runner copies there", at: mark)
            }
            if side == "server" && spec.ready == nil {
                throw reader.error("'hosts.server' with a 'server' command needs its 'ready' line: the runner cannot see another machine's ports", at: mark)
            }
        }
        if scenario.hosts.server != nil && network.serverIP == nil {
            throw reader.error("'hosts.server' needs 'network.server_ip': the server machine's address as the client sees it, or auto", at: mark)
        }
    }

    func transport(_ node: YAMLNode) throws -> TransportProtocol {
        let text = try reader.string(node, "protocol")
        guard let value = TransportProtocol(rawValue: text) else {
            let known = TransportProtocol.allCases.map(\.rawValue).joined(separator: ", ")
            throw reader.error("'protocol' must be one of \(known), not '\(text)'", at: node.mark)
        }
        return value
    }

    func existingFile(_ node: YAMLNode, _ key: String) throws -> String {
        let text = try reader.string(node, key)
        let full = resolve(text)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: full, isDirectory: &isFolder), !isFolder.boolValue else {
            throw reader.error("'\(key)' file '\(text)' not found (looked for \(full))", at: node.mark)
        }
        return full
    }

    func resolve(_ text: String) -> String {
        let url = text.hasPrefix("/") ? URL(fileURLWithPath: text) : URL(fileURLWithPath: folder).appendingPathComponent(text)
        return url.standardizedFileURL.path
    }

    func checkPlaceholders(_ text: String, _ allowed: [String], at mark: Mark) throws {
        do {
            _ = try Placeholders.split(text, allowed: allowed)
        } catch {
            throw reader.error(error.message, at: mark)
        }
    }
}
