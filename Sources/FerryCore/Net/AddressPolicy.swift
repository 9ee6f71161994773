/// Turns the address a user typed into a socket address, applying the assignment's rule that
/// transfers use a real network address, not loopback.
public enum AddressPolicy {
    /// Resolves `text`: a numeric IPv4/IPv6 address, `localhost`, or `auto` (this host's first
    /// non-loopback address, see `InterfaceAddress.firstNonLoopback`).
    ///
    /// - Parameters:
    ///   - interfaces: the host's addresses, consulted for `auto` only.
    ///   - allowLoopback: accept 127.0.0.0/8, `::1` and `localhost`.
    /// - Throws: `FerryError` with a one-line reason.
    public static func resolve(
        _ text: String, port: UInt16, allowLoopback: Bool,
        interfaces: () throws -> [InterfaceAddress] = { try InterfaceAddress.current() }
    ) throws -> SocketAddress {
        var host = text
        if text == "auto" {
            guard let found = InterfaceAddress.firstNonLoopback(in: try interfaces()) else {
                throw FerryError("auto: this host has no non-loopback address that is up")
            }
            host = found
        } else if text.lowercased() == "localhost" {
            host = "127.0.0.1"
        }
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        }
        let address = try SocketAddress(host: host, port: port)
        if address.isLoopback && !allowLoopback {
            throw FerryError(
                "\(text) is a loopback address: the assignment requires a real network address, "
                    + "not 127.0.0.0/8, ::1 or localhost (pass --allow-loopback to use it anyway)")
        }
        return address
    }
}
