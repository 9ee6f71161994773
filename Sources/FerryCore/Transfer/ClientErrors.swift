import Glibc

/// The client's errors that end the run, each one line that says what failed, where, and what
/// usually causes it.
enum ClientErrors {
    /// The server could not be reached within `--connect-timeout`; `code` is the last `connect`
    /// error, nil when datagrams went unanswered.
    static func unreachable(_ configuration: ClientConfiguration, because reason: String, code: Int32?) -> FerryError {
        let seconds = Formatting.fixed(Double(configuration.connectTimeout) / 1e9, decimals: 1)
        return FerryError("cannot reach the server at \(configuration.server) within \(seconds) s: \(reason); \(hint(code, configuration))")
    }

    /// What usually causes `code`.
    static func hint(_ code: Int32?, _ configuration: ClientConfiguration) -> String {
        switch code {
        case ECONNREFUSED?, nil:
            "is the server running, not finished with its --count, and using the same --port and --protocol "
                + "(\(configuration.transport.rawValue))?"
        default:
            "no host answered there: check the address (on the server's machine `ip addr` shows it) and any firewall"
        }
    }

    /// The peer answered with bytes that are not Ferry's protocol: the client stops at the first.
    static func notFerry(_ configuration: ClientConfiguration, transfer n: Int, answered bytes: [UInt8]) -> FerryError {
        let what = configuration.transport.isDatagram ? "a Ferry datagram" : "a Ferry verdict"
        return FerryError(
            "\(configuration.server) answered transfer \(n) with bytes that are not \(what) (\(preview(bytes))): "
                + "is a Ferry server listening there with --protocol \(configuration.transport.rawValue)? stopping")
    }

    /// Up to 16 bytes: quoted text when printable ASCII, hex otherwise.
    static func preview(_ bytes: [UInt8]) -> String {
        let head = bytes.prefix(16)
        let more = bytes.count > head.count ? "…" : ""
        if head.allSatisfy({ (0x20..<0x7F).contains($0) }) {
            return "\"" + String(decoding: head, as: UTF8.self) + more + "\""
        }
        return head.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
            .joined(separator: " ") + more
    }
}
