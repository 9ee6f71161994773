import ArgumentParser
import Foundation
import FerryCore

/// A duration on the command line: `500ms`, `5s`, `2m`; a bare number is seconds.
public struct DurationArgument: ExpressibleByArgument, Sendable, CustomStringConvertible {
    /// The duration in nanoseconds.
    public let nanoseconds: UInt64
    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }
    public init?(argument: String) {
        guard let value = Quantities.duration(argument) else { return nil }
        nanoseconds = value
    }
    public static var defaultCompletionKind: CompletionKind { .default }
    /// As people write it (`200ms`), for help texts.
    public var description: String { Quantities.durationText(nanoseconds) }
    public var defaultValueDescription: String { description }
}

/// A size on the command line: `4096`, `64KiB`, `1MiB`, `16GiB`.
public struct SizeArgument: ExpressibleByArgument, Sendable, CustomStringConvertible {
    /// The size in bytes.
    public let bytes: UInt64
    public init(bytes: UInt64) { self.bytes = bytes }
    public init?(argument: String) {
        guard let value = Quantities.size(argument) else { return nil }
        bytes = value
    }
    /// As people write it (`16GiB`), for help texts.
    public var description: String { Quantities.sizeText(bytes) }
    public var defaultValueDescription: String { description }
}

extension TransportProtocol: ExpressibleByArgument {}

/// A link rate on the command line: `100mbit`, `1gbit`; `0` for no limit.
public struct RateArgument: ExpressibleByArgument, Sendable, CustomStringConvertible {
    /// Bits per second.
    public let bitsPerSecond: UInt64
    public init(bitsPerSecond: UInt64) { self.bitsPerSecond = bitsPerSecond }
    /// As people write it (`10gbit`, `0`), for help texts.
    public var description: String { bitsPerSecond == 0 ? "0" : Quantities.rateText(bitsPerSecond) }
    public var defaultValueDescription: String { description }
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

    @Option(help: "The port (1-65535): TCP for tcp, UDP for udp and rudp.")
    public var port: Int

    @Option(parsing: .unconditional, help: "How many transfers (tcp: one connection each).")
    public var count: Int = TransferDefaults.count

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
    public var udpIdle = DurationArgument(nanoseconds: TransferDefaults.udpIdle)

    /// The buffer size given, or the protocol's default.
    public var bufferSize: Int { bufferSizeArgument.map { Int($0.bytes) } ?? TransferDefaults.bufferSize(for: transport) }

    @Option(
        name: .customLong("idle-timeout"),
        help: "How long the peer may stay silent during a transfer before it is abandoned (e.g. 10s, 500ms).")
    public var idleTimeout = DurationArgument(nanoseconds: TransferDefaults.idleTimeout)

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
        if let json { try Self.checkWritable(json, option: "--json") }
    }

    /// Refuses at start a results path that could not be written at the end: a folder, or a
    /// file in a folder that is missing or not writable.
    static func checkWritable(_ path: String, option: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw ValidationError("\(option) \(path): is a folder")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard access(folder, W_OK) == 0 else {
            throw ValidationError("\(option) \(path): cannot write in \(folder): \(String(cString: strerror(errno)))")
        }
    }
}
