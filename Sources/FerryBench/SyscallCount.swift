import FerryCore
import FerryRunner
import Foundation

/// System calls per transfer, counted with `strace -c -f` for each side: a figure that does not
/// depend on how fast the host is. Each contender runs twice, with `small` and `large` transfers,
/// and the difference divided by `large − small` is what one transfer costs, start-up subtracted.
public struct SyscallCount {
    /// Transfers in the short run (its calls are the start-up plus `small` transfers).
    public static let small = 10
    /// Transfers in the long run.
    public static let large = 210

    /// One side of one contender at one size.
    public struct Row: Sendable {
        public var contender: String
        public var size: Int
        public var side: String
        /// Calls per transfer, all kinds.
        public var perTransfer: Double
        /// Calls per transfer by system call, the largest first.
        public var byCall: [(name: String, perTransfer: Double)]
    }

    /// Reads the table `strace -c` writes: calls by system call name, without the total.
    /// The columns are fixed width and right-aligned, so `calls` is read up to its header's end.
    public static func parse(_ text: String) -> [String: Int] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let header = lines.first(where: { $0.contains("calls") && $0.contains("syscall") }),
            let callsEnd = header.range(of: "calls")?.upperBound
        else { return [:] }
        let width = header.distance(from: header.startIndex, to: callsEnd)
        var counts: [String: Int] = [:]
        for line in lines where line.count > width && !line.hasPrefix("-") && line != header {
            guard let name = line.split(separator: " ").last.map(String.init), name != "total",
                let calls = Int(line.prefix(width).split(separator: " ").last ?? "")
            else { continue }
            counts[name, default: 0] += calls
        }
        return counts
    }

    /// The commands of `contender` run under `strace -c -f`, each side writing its table to
    /// `folder/<name>-<side>-<count>.txt`.
    static func traced(_ contender: Contender, folder: String) -> Contender {
        var traced = contender
        traced.server = { ip, port, file, count, store in
            ["strace", "-c", "-f", "-o", "\(folder)/\(contender.name)-server-\(count).txt", "--"] + contender.server(ip, port, file, count, store)
        }
        traced.client = { ip, port, file, count in
            ["strace", "-c", "-f", "-o", "\(folder)/\(contender.name)-client-\(count).txt", "--"] + contender.client(ip, port, file, count)
        }
        return traced
    }
}

extension Benchmark {
    /// System calls per transfer for each contender and side at each of `sizes`.
    /// - Throws: when strace is missing or a run fails.
    public func syscallRows(_ contenders: [Contender], sizes: [Int] = [1, 64 << 10]) throws -> [SyscallCount.Row] {
        guard ChildProcess.locate("strace") != nil else { throw FerryError("strace is not installed (Debian package strace)") }
        let folder = "\(options.workFolder)/strace"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var rows: [SyscallCount.Row] = []
        for bytes in sizes {
            let path = try file(bytes)
            for contender in contenders {
                let traced = SyscallCount.traced(contender, folder: folder)
                var tables: [Int: [String: [String: Int]]] = [:]
                for count in [SyscallCount.small, SyscallCount.large] {
                    _ = try measure(traced, file: path, count: count)
                    for side in ["server", "client"] {
                        let text = (try? String(contentsOfFile: "\(folder)/\(contender.name)-\(side)-\(count).txt", encoding: .utf8)) ?? ""
                        tables[count, default: [:]][side] = SyscallCount.parse(text)
                    }
                }
                for side in ["server", "client"] {
                    let short = tables[SyscallCount.small]?[side] ?? [:]
                    let long = tables[SyscallCount.large]?[side] ?? [:]
                    guard !long.isEmpty else { throw FerryError("no strace table for \(contender.name) \(side)") }
                    let transfers = Double(SyscallCount.large - SyscallCount.small)
                    let byCall = Set(short.keys).union(long.keys)
                        .map { (name: $0, perTransfer: Double((long[$0] ?? 0) - (short[$0] ?? 0)) / transfers) }
                        .filter { abs($0.perTransfer) >= 0.05 }
                        .sorted { ($0.perTransfer, $1.name) > ($1.perTransfer, $0.name) }
                    let total = Double(long.values.reduce(0, +) - short.values.reduce(0, +)) / transfers
                    rows.append(SyscallCount.Row(contender: contender.name, size: bytes, side: side, perTransfer: total, byCall: byCall))
                    log("  syscalls: \(Self.sizeLabel(bytes)) \(contender.name) \(side): \(Formatting.fixed(total, decimals: 1)) per transfer")
                }
            }
        }
        return rows
    }

    /// The table `bench --syscalls` prints.
    public static func syscallTable(_ rows: [SyscallCount.Row]) -> [String] {
        var lines = [
            "### System calls per transfer (strace -c -f, \(SyscallCount.large) − \(SyscallCount.small) transfers)", "",
            "| file | side | contender | calls per transfer | by call |", "| --- | --- | --- | ---: | --- |",
        ]
        for row in rows {
            let calls = row.byCall.map { "\($0.name) \(Formatting.fixed($0.perTransfer, decimals: $0.perTransfer.rounded() == $0.perTransfer ? 0 : 2))" }
            lines.append("| \(sizeLabel(row.size)) | \(row.side) | \(row.contender) | \(Formatting.fixed(row.perTransfer, decimals: 1)) | \(calls.joined(separator: ", ")) |")
        }
        return lines
    }
}

extension Benchmark {
    /// `bench --syscalls`: Ferry's and cfast's system calls per transfer, with the target
    /// (each of Ferry's sides at most cfast's + 2).
    public func syscallReport() throws -> [String] {
        var contenders = [Contender.ferry(binaries: options.binaries)]
        guard let anchors = options.anchors else { throw FerryError("--syscalls compares with cfast: no anchors folder") }
        contenders.append(try Contender.cfast(source: "\(anchors)/cfast.c", folder: options.workFolder))
        let rows = try syscallRows(contenders)
        var lines = Self.syscallTable(rows) + ["", "Target: each of ferry's sides ≤ cfast's + 2 calls per transfer."]
        for row in rows where row.contender == "ferry" {
            guard let cfast = rows.first(where: { $0.contender == "cfast" && $0.size == row.size && $0.side == row.side }) else { continue }
            let extra = row.perTransfer - cfast.perTransfer
            lines.append("- \(Self.sizeLabel(row.size)) \(row.side): \(Formatting.fixed(abs(extra), decimals: 1)) \(extra <= -0.05 ? "fewer" : "more") than cfast \(extra <= 2.05 ? "(met)" : "(MISSED)")")
        }
        return lines
    }
}
