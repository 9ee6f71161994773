import FerryCore

extension ScenarioDecoder {
    /// `hosts: {server: {ssh: user@host, port: 22, identity: key, known_hosts: file, ssh_config: file, workdir: /tmp/ferry-run}}`.
    func hosts(_ node: YAMLNode?) throws -> HostsSpec {
        guard let node else { return HostsSpec() }
        let fields = try reader.mapping(node, named: "hosts", allowed: ["server", "client"])
        return HostsSpec(server: try fields["server"].map { try remote($0, side: "server") },
                         client: try fields["client"].map { try remote($0, side: "client") })
    }

    private func remote(_ node: YAMLNode, side: String) throws -> RemoteHost {
        let fields = try reader.mapping(
            node, named: side, allowed: ["ssh", "port", "identity", "known_hosts", "ssh_config", "workdir"], required: ["ssh"])
        let destination = try reader.string(fields["ssh"]!, "ssh")
        // ssh would take a leading '-' as an option, and spaces or quotes never name a host. An
        // IPv6 literal would need brackets for scp but not for ssh: a host name (or a Host of the
        // ssh configuration) is asked for instead.
        guard !destination.isEmpty, !destination.hasPrefix("-"), Self.isPlainWord(destination),
            !destination.contains(":"), !destination.contains("["), !destination.contains("%")
        else {
            throw reader.error(
                "'ssh' must be user@host or host (for an IPv6 address, a Host of the ssh configuration), not '\(destination)'",
                at: fields["ssh"]!.mark)
        }
        var host = RemoteHost(destination: destination)
        host.port = try fields["port"].map { try reader.integer($0, "port", in: 1...65535) }
        host.identity = try fields["identity"].map { try existingFile($0, "identity") }
        host.knownHosts = try fields["known_hosts"].map { resolve(try reader.string($0, "known_hosts")) }
        host.sshConfig = try fields["ssh_config"].map { try existingFile($0, "ssh_config") }
        if let value = fields["workdir"] {
            let text = try reader.string(value, "workdir")
            guard text.hasPrefix("/"), text != "/", !text.split(separator: "/").contains(".."), Self.isPlainWord(text) else {
                throw reader.error("'workdir' must be an absolute folder other than /, without '..', spaces or quotes, not '\(text)'",
                                   at: value.mark)
            }
            host.workdir = text
        }
        return host
    }

    /// Printable ASCII without spaces, quotes, `\`, `;`, `` ` `` or `$`: safe as one shell word and
    /// as an ssh argument.
    static func isPlainWord(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7F && !"'\"\\;`$".unicodeScalars.contains($0) }
    }
}
