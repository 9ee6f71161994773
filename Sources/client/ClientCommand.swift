import ArgumentParser
import FerryCLI
import FerryCore

@main
struct ClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Send a file N times to a Ferry server (tcp: a fresh connection each; udp, rudp: datagrams) and report the server's verdicts.",
        discussion: "See docs/usage.md.",
        version: FerryVersion.string)

    @Option(help: "The server's IPv4 or IPv6 address.")
    var server: String

    @OptionGroup var transfer: TransferOptions

    @Option(help: "The file to send.")
    var file: String

    @Option(name: .customLong("connect-timeout"), help: "How long to keep trying to connect for each transfer (e.g. 5s).")
    var connectTimeout = DurationArgument(nanoseconds: TransferDefaults.connectTimeout)

    @Option(help: "rudp: datagrams in flight at once (1-4096).")
    var window: Int = TransferDefaults.window

    @Option(name: .customLong("udp-rate"), help: "udp: pace datagrams to at most this rate (e.g. 500mbit, 1gbit; 0 for none).")
    var udpRate = RateArgument(bitsPerSecond: TransferDefaults.udpRate)

    static func main() { CommandLineEntry.main(Self.self) }

    func validate() throws {
        guard (1...4096).contains(window) else { throw ValidationError("--window \(window): must be 1-4096") }
    }

    func run() throws {
        let address = try AddressPolicy.resolve(server, port: UInt16(transfer.port), allowLoopback: transfer.allowLoopback)
        var configuration = ClientConfiguration(
            server: address, filePath: file, count: transfer.count, bufferSize: transfer.bufferSize,
            connectTimeout: connectTimeout.nanoseconds, idleTimeout: transfer.idleTimeout.nanoseconds,
            jsonPath: transfer.json, transport: transfer.transport, udpIdle: transfer.udpIdle.nanoseconds,
            window: window, udpRate: udpRate.bitsPerSecond)
        configuration.keepRecords = false
        _ = try TransferClient(configuration: configuration, sink: StandardStreams()).run()
    }
}
