import ArgumentParser
import FerryCore

/// A duration on the command line: `500ms`, `5s`, `2m`; a bare number is seconds.
public struct DurationArgument: ExpressibleByArgument, Sendable {
    /// The duration in nanoseconds.
    public let nanoseconds: UInt64
    public init?(argument: String) {
        guard let value = Quantities.duration(argument) else { return nil }
        nanoseconds = value
    }
    public static var defaultCompletionKind: CompletionKind { .default }
}

/// A size on the command line: `4096`, `64KiB`, `1MiB`, `16GiB`.
public struct SizeArgument: ExpressibleByArgument, Sendable {
    /// The size in bytes.
    public let bytes: UInt64
    public init?(argument: String) {
        guard let value = Quantities.size(argument) else { return nil }
        bytes = value
    }
}

extension TransportProtocol: ExpressibleByArgument {}

/// A link rate on the command line: `100mbit`, `1gbit`; `0` for no limit.
public struct RateArgument: ExpressibleByArgument, Sendable {
    /// Bits per second.
    public let bitsPerSecond: UInt64
    public init?(argument: String) {
        if argument == "0" {
            bitsPerSecond = 0
            return
        }
        guard let value = Quantities.rate(argument) else { return nil }
        bitsPerSecond = value
    }
}

/// Options `server` and `client` share.
public struct TransferOptions: ParsableArguments {
    public init() {}

    @Option(help: "The TCP port (1-65535).")
    public var port: Int

    @Option(help: "How many transfers, one connection each.")
    public var count: Int = 100

    @Option(name: .customLong("protocol"), help: "tcp, udp (no retransmission) or rudp (Ferry's reliable UDP).")
    public var transport: TransportProtocol = .tcp

    @Option(
        name: .customLong("buffer-size"),
        help: """
            tcp: bytes per system call (the server's receive buffer, the client's sendfile chunk), default 1MiB; \
            udp/rudp: payload bytes per datagram, default 1400, at most 65483.
            """)
    public var bufferSizeArgument: SizeArgument?

    @Option(name: .customLong("udp-idle"), help: "udp: a gap this long without datagrams ends a transfer whose end marker was lost.")
    public var udpIdle: DurationArgument = DurationArgument(argument: "200ms")!

    /// The buffer size given, or the protocol's default.
    public var bufferSize: Int { bufferSizeArgument.map { Int($0.bytes) } ?? transport.defaultBufferSize }

    @Option(
        name: .customLong("idle-timeout"),
        help: "How long the peer may stay silent during a transfer before it is abandoned (e.g. 10s, 500ms).")
    public var idleTimeout: DurationArgument = DurationArgument(argument: "10s")!

    @Option(help: "Write the per-transfer results and the summary as JSON to this path.")
    public var json: String?

    @Flag(
        name: .customLong("allow-loopback"),
        help: "Accept 127.0.0.0/8, ::1 and localhost (the assignment asks for a real network address).")
    public var allowLoopback = false

    public mutating func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port \(port): must be 1-65535") }
        guard count >= 1 else { throw ValidationError("--count \(count): must be at least 1") }
        guard (1...transport.maximumBufferSize).contains(bufferSize) else {
            throw ValidationError("--buffer-size \(bufferSize): must be 1 to \(transport.maximumBufferSize) bytes for \(transport.rawValue)")
        }
        guard idleTimeout.nanoseconds >= 1_000_000 else {
            throw ValidationError("--idle-timeout: must be at least 1ms")
        }
    }
}
