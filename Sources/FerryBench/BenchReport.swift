import FerryCore
import FerryRunner
import Foundation

extension Benchmark {
    /// One row of the transfer table.
    public struct Row: Sendable {
        public var size: Int
        public var count: Int
        public var contender: String
        public var medianMs: Double
        public var peakKiB: Int?
        public var ratioToCfast: Double?
        public var ratioToPython: Double?

        /// MB/s (10^6 bytes per second) of one transfer.
        public var megabytesPerSecond: Double { Double(size) / (medianMs / 1000) / 1e6 }
    }

    /// Every size for every contender, `rounds` times, the contenders' order rotating each round.
    public func transferRows(_ contenders: [Contender]) throws -> [Row] {
        var rows: [Row] = []
        for (bytes, count) in options.sizes {
            let path = try file(bytes)
            var samples: [String: [Measurement]] = [:]
            for round in 0..<options.rounds {
                let order = contenders.indices.map { contenders[($0 + round) % contenders.count] }
                for contender in order {
                    let measurement = try measure(contender, file: path, count: count)
                    samples[contender.name, default: []].append(measurement)
                    log("  \(Self.sizeLabel(bytes)) × \(count)  round \(round + 1)  \(contender.name): \(Formatting.milliseconds(measurement.clientAverageMs)) ms")
                }
            }
            let medians = samples.mapValues { Self.median($0.map(\.clientAverageMs)) }
            // Ratios are taken round by round (the contenders of one round ran back to back, on
            // the same state of the host), then their median.
            func ratio(_ name: String, to other: String) -> Double? {
                guard let mine = samples[name], let theirs = samples[other] else { return nil }
                return Self.median(zip(mine, theirs).map { $0.clientAverageMs / $1.clientAverageMs })
            }
            for contender in contenders {
                let peaks = samples[contender.name]!.compactMap(\.serverPeakKiB)
                rows.append(Row(
                    size: bytes, count: count, contender: contender.name, medianMs: medians[contender.name]!, peakKiB: peaks.max(),
                    ratioToCfast: ratio(contender.name, to: "cfast"), ratioToPython: ratio(contender.name, to: "python")))
            }
        }
        return rows
    }

    /// The server's peak resident memory while receiving a file of each size.
    public func memoryRows(_ ferry: Contender, sizes: [(bytes: Int, count: Int)]) throws -> [(Int, Int?)] {
        try sizes.map { bytes, count in
            let measurement = try measure(ferry, file: try file(bytes), count: count)
            log("  memory: \(Self.sizeLabel(bytes)) × \(count): \(measurement.serverPeakKiB.map { "\($0) KiB" } ?? "?")")
            return (bytes, measurement.serverPeakKiB)
        }
    }

    /// iperf3 -F with the file of `bytes`: MB/s.
    /// - Throws: when iperf3 is missing or its report cannot be read.
    public func iperf(bytes: Int) throws -> Double? {
        guard ChildProcess.locate("iperf3") != nil else { throw FerryError("iperf3 is not installed") }
        port += 1
        let server = try ChildProcess(arguments: pair.inServer(["iperf3", "-s", "-1", "-p", String(port)]))
        defer { server.stop() }
        guard ReadinessProbe.waitUntilListening(server, port: port, until: Date().addingTimeInterval(20)) else {
            throw FerryError("iperf3 server never listened")
        }
        let output = try Tool.run(pair.inClient(["iperf3", "-c", pair.serverAddress, "-p", String(port), "-F", try file(bytes), "-J"]), timeout: 120)
        guard let json = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any],
            let end = json["end"] as? [String: Any], let sent = end["sum_sent"] as? [String: Any],
            let bits = (sent["bits_per_second"] as? NSNumber)?.doubleValue
        else { throw FerryError("iperf3 gave no sum_sent.bits_per_second: \(output.prefix(200))") }
        return bits / 8 / 1e6
    }

    /// Wall time of `runner` on a scenario of `count` × `bytes` minus that of the client alone (seconds),
    /// each the median of `rounds`.
    public func runnerOverhead(bytes: Int, count: Int) throws -> (runner: Double, client: Double) {
        let path = try file(bytes)
        let scenario = "\(options.workFolder)/overhead.yaml"
        try """
            name: overhead
            network: {isolation: namespaces}
            transfer: {file: \(path), repetitions: \(count), port: 6090}
            """.write(toFile: scenario, atomically: true, encoding: .utf8)
        var runnerTimes: [Double] = []
        var clientTimes: [Double] = []
        for _ in 0..<options.rounds {
            let started = Date()
            let runner = try ChildProcess(arguments: ["\(options.binaries)/runner", scenario, "--quiet", "--work-dir", "\(options.workFolder)/runs"])
            guard runner.wait(until: Date().addingTimeInterval(120)) == .exited(0) else {
                throw FerryError("runner failed: \(runner.output.snapshot.map(\.text).suffix(5))")
            }
            runnerTimes.append(Date().timeIntervalSince(started))
            clientTimes.append(try measure(.ferry(binaries: options.binaries), file: path, count: count).clientWallSeconds)
        }
        return (Self.median(runnerTimes), Self.median(clientTimes))
    }

    /// Data datagrams the server reported lost, from its per-transfer lines.
    static func datagramsLost(_ lines: [String]) -> Int {
        lines.filter { $0.hasPrefix("The datagrams of") }.compactMap { line -> Int? in
            guard let range = line.range(of: " lost") else { return nil }
            return Int(line[..<range.lowerBound].split(separator: " ").last ?? "")
        }.reduce(0, +)
    }

    static func sizeLabel(_ bytes: Int) -> String {
        if bytes >= 1 << 30 { return "\(bytes >> 30) GiB" }
        if bytes >= 1 << 20 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10 { return "\(bytes >> 10) KiB" }
        return bytes == 1 ? "1 byte" : "\(bytes) bytes"
    }
}
