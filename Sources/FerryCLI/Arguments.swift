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

/// Options `server` and `client` share.
public struct TransferOptions: ParsableArguments {
    public init() {}

    @Option(help: "The TCP port (1-65535).")
    public var port: Int

    @Option(help: "How many transfers, one connection each.")
    public var count: Int = 100

    @Option(
        name: .customLong("buffer-size"),
        help: "Bytes moved per system call: the server's receive buffer, the client's sendfile chunk (e.g. 4096, 64KiB).")
    public var bufferSize: SizeArgument = SizeArgument(argument: "256KiB")!

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
        guard (1...(64 << 20)).contains(bufferSize.bytes) else {
            throw ValidationError("--buffer-size \(bufferSize.bytes): must be 1 byte to 64 MiB")
        }
        guard idleTimeout.nanoseconds >= 1_000_000 else {
            throw ValidationError("--idle-timeout: must be at least 1ms")
        }
    }
}
