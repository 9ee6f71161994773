import Glibc

/// An IPv4 or IPv6 address with a port, as the socket calls take it.
public struct SocketAddress: CustomStringConvertible, Hashable, @unchecked Sendable {
    private var storage = sockaddr_storage()
    /// The length of the address inside `storage`.
    public private(set) var length: socklen_t = 0

    /// Parses a numeric IPv4 or IPv6 address (`10.99.0.2`, `fd00::2`, `fe80::1%veth0`).
    /// - Throws: `FerryError` when `host` is not a numeric address.
    public init(host: String, port: UInt16) throws {
        var hints = addrinfo()
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw FerryError("'\(host)' is not an IPv4 or IPv6 address")
        }
        defer { freeaddrinfo(list) }
        self.init(raw: first.pointee.ai_addr, length: first.pointee.ai_addrlen)
    }

    /// Copies an address the kernel filled in.
    public init(raw: UnsafePointer<sockaddr>, length: socklen_t) {
        withUnsafeMutableBytes(of: &storage) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(start: raw, count: Int(length)))
        }
        self.length = length
    }

    /// `AF_INET` or `AF_INET6`.
    public var family: Int32 { Int32(storage.ss_family) }

    /// The numeric host part, such as `10.99.0.2` or `fd00::2`.
    public var host: String {
        var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let status = withSockaddr { getnameinfo($0, length, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) }
        guard status == 0 else { return "?" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The port in host byte order.
    public var port: UInt16 {
        withSockaddr { pointer in
            if family == AF_INET6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    }

    /// True for 127.0.0.0/8, ::1 and IPv4-mapped 127.x addresses.
    public var isLoopback: Bool {
        withSockaddr { pointer in
            if family == AF_INET6 {
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    let bytes = withUnsafeBytes(of: address.pointee.sin6_addr) { Array($0) }
                    let isV6Loopback = bytes[0..<15].allSatisfy { $0 == 0 } && bytes[15] == 1
                    let isMapped = bytes[0..<10].allSatisfy { $0 == 0 } && bytes[10] == 0xff && bytes[11] == 0xff
                    return isV6Loopback || (isMapped && bytes[12] == 127)
                }
            }
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                UInt32(bigEndian: address.pointee.sin_addr.s_addr) >> 24 == 127
            }
        }
    }

    /// `10.99.0.2:5001` or `[fd00::2]:5001`.
    public var description: String {
        family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Calls `body` with the address as the socket calls take it.
    public func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>) throws -> T) rethrows -> T {
        try withUnsafeBytes(of: storage) { bytes in
            try body(bytes.baseAddress!.assumingMemoryBound(to: sockaddr.self))
        }
    }

    public static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool {
        lhs.length == rhs.length && lhs.withSockaddr { left in
            rhs.withSockaddr { right in memcmp(left, right, Int(lhs.length)) == 0 }
        }
    }

    /// Hashes the same bytes `==` compares.
    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes(of: storage) { hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: $0[0..<Int(length)])) }
    }
}
