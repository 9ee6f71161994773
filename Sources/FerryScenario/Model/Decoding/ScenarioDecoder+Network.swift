import FerryCore

extension ScenarioDecoder {
    func network(_ node: YAMLNode?) throws -> NetworkSpec {
        guard let node else { return NetworkSpec() }
        let fields = try reader.mapping(
            node, named: "network", allowed: ["isolation", "server_ip", "client_ip", "impair", "hostnames", "hosts"])
        var isolation = Isolation.auto
        if let value = fields["isolation"] {
            let text = try reader.string(value, "isolation")
            guard let parsed = Isolation(rawValue: text) else {
                let known = Isolation.allCases.map(\.rawValue).joined(separator: ", ")
                throw reader.error("'isolation' must be one of \(known), not '\(text)'", at: value.mark)
            }
            isolation = parsed
        }
        let serverIP = try fields["server_ip"].map { try address($0, "server_ip", allowAuto: true) }
        let clientIP = try fields["client_ip"].map { try address($0, "client_ip", allowAuto: false) }
        if let serverIP, let clientIP, serverIP == clientIP {
            throw reader.error("'client_ip' must differ from 'server_ip'", at: fields["client_ip"]!.mark)
        }
        let impair = try fields["impair"].map { try self.impair($0) }
        if let impair, isolation == .host, !impair.allowRemote {
            throw reader.error("'impair' needs namespace isolation, not 'host'", at: fields["impair"]!.mark)
        }
        var result = NetworkSpec(impair: impair, isolation: isolation, serverIP: serverIP, clientIP: clientIP)
        if let value = fields["hostnames"] {
            let names = try reader.mapping(value, named: "hostnames", allowed: ["server", "client"])
            result.serverHostname = try names["server"].map { try hostname($0, "server") }
            result.clientHostname = try names["client"].map { try hostname($0, "client") }
        }
        if let value = fields["hosts"] {
            guard case .mapping(let entries) = value.content else {
                throw reader.error("'hosts' must be a mapping of host name to address, not \(value.kindName)", at: value.mark)
            }
            for entry in entries {
                guard Self.isHostname(entry.key) else {
                    throw reader.error("'hosts' key '\(entry.key)' is not a host name (letters, digits, '-' and '.')", at: entry.keyMark)
                }
                let address = try reader.string(entry.value, entry.key)
                try checkPlaceholders(address, Placeholders.scenario, at: entry.value.mark)
                if !address.contains("{") {
                    guard (try? SocketAddress(host: address, port: 0)) != nil else {
                        throw reader.error("'hosts' address '\(address)' must be an IPv4 or IPv6 address", at: entry.value.mark)
                    }
                }
                result.hosts.append((entry.key, address))
            }
        }
        if isolation == .host, let key = ["hostnames", "hosts"].first(where: { fields[$0] != nil }) {
            throw reader.error("'\(key)' needs namespace isolation, not 'host'", at: fields[key]!.mark)
        }
        return result
    }

    func hostname(_ node: YAMLNode, _ key: String) throws -> String {
        let text = try reader.string(node, key)
        guard Self.isHostname(text) else {
            throw reader.error("'\(key)' host name '\(text)' must be letters, digits, '-' and '.', at most 64 characters", at: node.mark)
        }
        return text
    }

    static func isHostname(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 64 && !text.hasPrefix("-")
            && text.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == ".") }
    }

    func impair(_ node: YAMLNode) throws -> ImpairSpec {
        let netemKeys = ["delay", "jitter", "duplicate", "reorder", "corrupt"]
        let fields = try reader.mapping(node, named: "impair", allowed: ["loss", "direction", "rate", "allow_remote"] + netemKeys)
        var result = ImpairSpec(losses: nil, direction: .both, rate: nil, netem: [])
        result.allowRemote = try fields["allow_remote"].map { try reader.bool($0, "allow_remote") } ?? false
        if let value = fields["loss"] {
            result.losses = try reader.oneOrMany(value, "loss") { item in
                let percent = try reader.percentage(item, "loss")
                guard percent < 100 else { throw reader.error("'loss' must be below 100%", at: item.mark) }
                return percent
            }
        }
        if let value = fields["direction"] {
            let text = try reader.string(value, "direction")
            guard let direction = ImpairSpec.Direction(rawValue: text) else {
                throw reader.error("'direction' must be to_server, to_client or both, not '\(text)'", at: value.mark)
            }
            result.direction = direction
        }
        if let value = fields["rate"] {
            let text = try reader.string(value, "rate")
            guard let bits = Quantities.rate(text), bits > 0 else {
                throw reader.error("'rate' must be a rate such as 100mbit or 1gbit, not '\(text)'", at: value.mark)
            }
            result.rate = ImpairSpec.Rate(bitsPerSecond: bits, text: text)
        }
        for key in netemKeys {
            guard let value = fields[key] else { continue }
            let text = try reader.string(value, key)
            let valid = key == "delay" || key == "jitter" ? Quantities.duration(text) != nil : Quantities.percentage(text) != nil
            guard valid else {
                let kind = key == "delay" || key == "jitter" ? "a duration such as 20ms" : "a percentage such as 1%"
                throw reader.error("'\(key)' must be \(kind), not '\(text)'", at: value.mark)
            }
            result.netem.append(ImpairSpec.NetemSetting(key: key, value: text, mark: value.mark))
        }
        return result
    }

    func address(_ node: YAMLNode, _ key: String, allowAuto: Bool) throws -> String {
        let text = try reader.string(node, key)
        if allowAuto && text == "auto" { return text }
        let parsed: SocketAddress
        do {
            parsed = try SocketAddress(host: text, port: 0)
        } catch {
            throw reader.error("'\(key)' must be an IPv4 or IPv6 address\(allowAuto ? " or auto" : ""), not '\(text)'", at: node.mark)
        }
        if key == "server_ip" && ["0.0.0.0", "::"].contains(parsed.host) {
            throw reader.error(
                "'server_ip' \(text) is not an address a client can reach between two hosts; "
                    + "for programs that talk to 0.0.0.0 or 127.0.0.1 use 'isolation: same_host'",
                at: node.mark)
        }
        if parsed.isLoopback || text.lowercased() == "localhost" {
            throw reader.error("'\(key)' \(text) is a loopback address: the transfer must use a real network address", at: node.mark)
        }
        return parsed.host
    }
}
