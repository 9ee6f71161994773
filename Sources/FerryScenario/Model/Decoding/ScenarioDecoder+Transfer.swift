import FerryCore

extension ScenarioDecoder {
    func transfer(_ node: YAMLNode) throws -> TransferSpec {
        let fields = try reader.mapping(
            node, named: "transfer", allowed: ["protocol", "port", "file", "standard", "repetitions", "buffer_sizes"],
            required: ["file"])
        let file = try existingFile(fields["file"]!, "file")
        let protocols = try fields["protocol"].map { try reader.oneOrMany($0, "protocol") { try transport($0) } } ?? [.tcp]
        var bufferSizes: [Int]?
        if let node = fields["buffer_sizes"] {
            let limit = protocols.map(\.maximumBufferSize).min() ?? (64 << 20)
            bufferSizes = try reader.oneOrMany(node, "buffer_sizes") { item in
                let size = Int(try reader.size(item, "buffer_sizes", in: 1...(64 << 20)))
                if size > limit, let tight = protocols.first(where: { $0.maximumBufferSize < size }) {
                    throw reader.error(
                        "'buffer_sizes' \(size) is too large for \(tight.rawValue): at most \(tight.maximumBufferSize) bytes per datagram",
                        at: item.mark)
                }
                return size
            }
        }
        return TransferSpec(
            protocols: protocols,
            port: try fields["port"].map { try reader.integer($0, "port", in: 1...65535) } ?? 5001,
            file: file,
            standard: try fields["standard"].map { try existingFile($0, "standard") } ?? file,
            repetitions: try fields["repetitions"].map { try reader.integer($0, "repetitions", in: 1...1_000_000) } ?? 100,
            bufferSizes: bufferSizes)
    }

    func timeouts(_ node: YAMLNode?) throws -> Timeouts {
        var result = Timeouts(ready: 10, caseLimit: 300)
        guard let node else { return result }
        let fields = try reader.mapping(node, named: "timeouts", allowed: ["ready", "case"])
        if let value = fields["ready"] { result.ready = try reader.duration(value, "ready") }
        if let value = fields["case"] { result.caseLimit = try reader.duration(value, "case") }
        return result
    }
}
