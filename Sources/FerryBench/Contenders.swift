import FerryCore
import FerryRunner
import Foundation

/// One implementation of the transfer pair that the benchmark runs.
public struct Contender: Sendable {
    /// `ferry`, `cfast`, `python`.
    public var name: String
    /// The server's command for a standard file, a count and a store folder.
    public var server: @Sendable (_ ip: String, _ port: Int, _ file: String, _ count: Int, _ store: String) -> [String]
    /// The client's command.
    public var client: @Sendable (_ ip: String, _ port: Int, _ file: String, _ count: Int) -> [String]
    /// The server prints this when it is ready; nil: wait for the port.
    public var readyLine: String?
    /// Reads the client's average ms per transfer from its output.
    public var average: @Sendable ([String]) -> Double?

    /// Ferry's own pair from `binaries`, over `transport`.
    public static func ferry(binaries: String, transport: String = "tcp", label: String = "ferry") -> Contender {
        Contender(
            name: label,
            server: { ip, port, file, count, store in
                ["\(binaries)/server", "--ip", ip, "--port", String(port), "--standard", file, "--count", String(count),
                 "--store", store, "--protocol", transport]
            },
            client: { ip, port, file, count in
                ["\(binaries)/client", "--server", ip, "--port", String(port), "--file", file, "--count", String(count),
                 "--protocol", transport]
            },
            readyLine: Messages.serverReady.text,
            average: { lines in seedAverage(lines) })
    }

    /// The plain C anchor, compiled into `folder` from `source`.
    /// - Throws: why it cannot be built (no source, no gcc, a compile error).
    public static func cfast(source: String, folder: String) throws -> Contender {
        let binary = "\(folder)/cfast"
        guard FileManager.default.fileExists(atPath: source) else { throw FerryError("\(source): not found") }
        try Tool.run(["gcc", "-O2", "-o", binary, source], timeout: 60)
        return Contender(
            name: "cfast",
            server: { ip, port, file, count, store in [binary, "s", ip, String(port), file, String(count), store] },
            client: { ip, port, file, count in [binary, "c", ip, String(port), file, String(count)] },
            readyLine: nil,
            average: { lines in
                lines.first { $0.hasPrefix("client avg ms: ") }.flatMap { Double($0.dropFirst("client avg ms: ".count)) }
            })
    }

    /// The careful Python anchor; nil when its files or python3 are missing.
    public static func python(folder: String) -> Contender? {
        let server = "\(folder)/py_server.py"
        let client = "\(folder)/py_client.py"
        guard FileManager.default.fileExists(atPath: server), FileManager.default.fileExists(atPath: client) else { return nil }
        return Contender(
            name: "python",
            server: { ip, port, file, count, store in ["python3", server, ip, String(port), file, String(count), store] },
            client: { ip, port, file, count in ["python3", client, ip, String(port), file, String(count)] },
            readyLine: Messages.serverReady.text,
            average: { lines in seedAverage(lines) })
    }

    /// The figure of the assignment's client average line (10e).
    static func seedAverage(_ lines: [String]) -> Double? {
        lines.lazy.compactMap { Messages.clientAverage.values(in: $0)?.ms }.first
    }
}
