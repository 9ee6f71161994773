import ArgumentParser
import FerryCLI
import FerryCore

@main
struct ServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Receive a file N times (tcp: a fresh connection each; udp, rudp: datagrams), store every copy and check it against a standard file.",
        discussion: "Copies go to <store>/<stem>.<n><ext> (sample.1.txt, ...). See docs/usage.md.",
        version: FerryVersion.string)

    @Option(help: "The address to listen on: an IPv4 or IPv6 address of this host, or 'auto' for its first non-loopback one.")
    var ip: String

    @OptionGroup var transfer: TransferOptions

    @Option(help: "The standard file every copy is compared against.")
    var standard: String

    @Option(help: "The folder copies are stored in; made if missing.")
    var store: String = TransferDefaults.store

    @Option(name: .customLong("max-size"), help: "Refuse transfers that announce more bytes than this (e.g. 16GiB).")
    var maxSize = SizeArgument(bytes: TransferDefaults.maximumSize)

    @Option(
        name: .customLong("header-timeout"),
        help: "tcp: drop, without counting it, a connection that has not sent its whole header this long after it was accepted.")
    var headerTimeout = DurationArgument(nanoseconds: TransferDefaults.headerTimeout)

    static func main() { CommandLineEntry.main(Self.self) }

    func run() throws {
        let address = try AddressPolicy.resolve(ip, port: UInt16(transfer.port), allowLoopback: transfer.allowLoopback)
        var configuration = ServerConfiguration(
            address: address, standardPath: standard, count: transfer.count, storeDirectory: store,
            bufferSize: transfer.bufferSize, maximumSize: maxSize.bytes,
            idleTimeout: transfer.idleTimeout.nanoseconds, jsonPath: transfer.json, transport: transfer.transport,
            udpIdle: transfer.udpIdle.nanoseconds)
        configuration.headerTimeout = headerTimeout.nanoseconds
        configuration.keepRecords = false
        _ = try TransferServer(configuration: configuration, sink: StandardStreams()).run()
    }
}
