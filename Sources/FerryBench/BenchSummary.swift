import FerryCore
import Foundation

extension Benchmark {
    /// Runs every measurement and returns the report as Markdown lines.
    public func report() throws -> [String] {
        var contenders = [Contender.ferry(binaries: options.binaries)]
        if let anchors = options.anchors {
            do {
                contenders.append(try Contender.cfast(source: "\(anchors)/cfast.c", folder: options.workFolder))
            } catch {
                log("cfast left out: \(error)")
            }
            if let python = Contender.python(folder: anchors) { contenders.append(python) }
        }
        var lines = ["## Machine", ""] + Self.machine(options) + [""]
        lines += ["## Transfers (client average ms per transfer, median of \(options.rounds) rounds)", ""]
        lines += ["| file | contender | ms/transfer | MB/s | vs cfast | vs python | server peak RSS |", "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
        let rows = try transferRows(contenders)
        for row in rows {
            lines.append("| \(Self.sizeLabel(row.size)) × \(row.count) | \(row.contender) | \(Formatting.milliseconds(row.medianMs)) | "
                + "\(Formatting.fixed(row.megabytesPerSecond, decimals: 1)) | \(row.ratioToCfast.map { Formatting.fixed($0, decimals: 2) } ?? "-") | "
                + "\(row.ratioToPython.map { Formatting.fixed($0, decimals: 2) } ?? "-") | \(row.peakKiB.map { "\($0 / 1024) MiB" } ?? "-") |")
        }
        let ours = rows.filter { $0.contender == "ferry" }
        if contenders.count > 1 {
            lines += ["", "Ratios are medians of the per-round ratios. Targets: ferry ≤ 1.10 × cfast (≤ 1.05 × at 100 MiB) and ≤ 0.5 × python."]
            for row in ours {
                let target = row.size >= 100 << 20 ? 1.05 : 1.10
                let cfast = row.ratioToCfast.map { "\(Formatting.fixed($0, decimals: 2)) × cfast \($0 <= target ? "(met)" : "(MISSED)")" } ?? ""
                let python = row.ratioToPython.map { "\(Formatting.fixed($0, decimals: 2)) × python \($0 <= 0.5 ? "(met)" : "(MISSED)")" } ?? ""
                lines.append("- \(Self.sizeLabel(row.size)): \(cfast)\(cfast.isEmpty || python.isEmpty ? "" : ", ")\(python)")
            }
        }
        guard options.extras else { return lines }

        let ferry = Contender.ferry(binaries: options.binaries)
        lines += ["", "## Server memory (peak resident set, VmHWM)", "", "| file | peak RSS |", "| --- | ---: |"]
        for (bytes, peak) in try memoryRows(ferry, sizes: [(64 << 10, 100), (100 << 20, 3), (1 << 30, 2)]) {
            lines.append("| \(Self.sizeLabel(bytes)) | \(peak.map { "\(Formatting.fixed(Double($0) / 1024, decimals: 1)) MiB" } ?? "-") |")
        }
        let iperfRate: Double?
        do {
            iperfRate = try iperf(bytes: 100 << 20)
        } catch {
            log("iperf3 left out: \(error)")
            iperfRate = nil
        }
        if let rate = iperfRate {
            lines += ["", "## iperf3 -F (100 MiB, no write, no compare)", "", "\(Formatting.fixed(rate, decimals: 0)) MB/s"]
            if let big = ours.first(where: { $0.size == 100 << 20 }) {
                lines.append("ferry moves the same file at \(Formatting.fixed(big.megabytesPerSecond, decimals: 0)) MB/s, writing and comparing every copy.")
            }
        }
        let (runner, client) = try runnerOverhead(bytes: 64 << 10, count: 100)
        lines += ["", "## Runner overhead (100 × 64 KiB, median of \(options.rounds))", "",
                  "runner wall \(Formatting.fixed(runner * 1000, decimals: 0)) ms, client alone \(Formatting.fixed(client * 1000, decimals: 0)) ms: "
                  + "overhead \(Formatting.fixed((runner - client) * 1000, decimals: 0)) ms (target ≤ 300 ms)"]

        lines += ["", "## Datagram protocols on a clean link (1 MiB × 100)", "", "| protocol | ms/transfer | datagrams lost |", "| --- | ---: | ---: |"]
        let oneMiB = try file(1 << 20)
        var medians: [String: Double] = [:]
        for transport in ["tcp", "udp", "rudp"] {
            var times: [Double] = []
            var lost = 0
            for _ in 0..<options.rounds {
                let measurement = try measure(.ferry(binaries: options.binaries, transport: transport, label: transport), file: oneMiB, count: 100)
                times.append(measurement.clientAverageMs)
                lost += Self.datagramsLost(measurement.serverLines)
            }
            medians[transport] = Self.median(times)
            lines.append("| \(transport) | \(Formatting.milliseconds(medians[transport]!)) | \(transport == "tcp" ? "-" : String(lost)) |")
        }
        if let rudp = medians["rudp"], let tcp = medians["tcp"] {
            lines += ["", "rudp takes \(Formatting.fixed(rudp / tcp, decimals: 2)) × tcp's time at 0% loss (target ≤ 2)."]
        }
        return lines
    }

    /// CPU model, cores, memory and kernel, the network and the file system.
    static func machine(_ options: BenchOptions) -> [String] {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        let memory = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("MemTotal") }
            .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        var name = utsname()
        uname(&name)
        let kernel = withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        return ["- \(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(memory / 1024 / 1024) GiB, Linux \(kernel)",
                "- veth pair between two network namespaces, 10.99.0.1 → 10.99.0.2", "- the \(options.fileSystem)"]
    }
}
