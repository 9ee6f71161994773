import Glibc

/// One address configured on a network interface of this host.
public struct InterfaceAddress: Equatable, Sendable {
    /// The interface name, such as `eth0`.
    public let interface: String
    /// The numeric address, such as `10.99.0.2` or `fd00::2`.
    public let address: String
    /// `AF_INET` or `AF_INET6`.
    public let family: Int32
    /// The interface is up.
    public let isUp: Bool
    /// The interface is a loopback interface.
    public let isLoopbackInterface: Bool

    public init(interface: String, address: String, family: Int32, isUp: Bool, isLoopbackInterface: Bool) {
        self.interface = interface
        self.address = address
        self.family = family
        self.isUp = isUp
        self.isLoopbackInterface = isLoopbackInterface
    }

    /// The addresses of this host's interfaces, from `getifaddrs(3)`.
    public static func current() throws -> [InterfaceAddress] {
        var list: UnsafeMutablePointer<ifaddrs>?
        try systemCall("getifaddrs", "") { getifaddrs(&list) }
        defer { freeifaddrs(list) }
        var result: [InterfaceAddress] = []
        var cursor = list
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let raw = entry.pointee.ifa_addr else { continue }
            let family = Int32(raw.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            let address = SocketAddress(raw: raw, length: length)
            let flags = Int32(entry.pointee.ifa_flags)
            result.append(InterfaceAddress(
                interface: String(cString: entry.pointee.ifa_name),
                address: address.host,
                family: family,
                isUp: flags & Int32(IFF_UP) != 0,
                isLoopbackInterface: flags & Int32(IFF_LOOPBACK) != 0))
        }
        return result
    }

    /// The address `auto` stands for: the first IPv4 address of an up, non-loopback interface,
    /// else the first IPv6 address there that is not link-local; nil when there is none.
    public static func firstNonLoopback(in addresses: [InterfaceAddress]) -> String? {
        let usable = addresses.filter { $0.isUp && !$0.isLoopbackInterface }
        if let v4 = usable.first(where: { $0.family == AF_INET && !$0.address.hasPrefix("127.") }) {
            return v4.address
        }
        return usable.first(where: {
            $0.family == AF_INET6 && !$0.address.lowercased().hasPrefix("fe80") && $0.address != "::1"
        })?.address
    }
}
