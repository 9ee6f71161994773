import FerryCore
import Glibc
import Testing

@Suite struct AddressPolicyTests {
    let interfaces = [
        InterfaceAddress(interface: "lo", address: "127.0.0.1", family: AF_INET, isUp: true, isLoopbackInterface: true),
        InterfaceAddress(interface: "eth1", address: "fe80::1", family: AF_INET6, isUp: true, isLoopbackInterface: false),
        InterfaceAddress(interface: "eth0", address: "192.0.2.7", family: AF_INET, isUp: false, isLoopbackInterface: false),
        InterfaceAddress(interface: "eth2", address: "2001:db8::5", family: AF_INET6, isUp: true, isLoopbackInterface: false),
        InterfaceAddress(interface: "eth3", address: "198.51.100.9", family: AF_INET, isUp: true, isLoopbackInterface: false),
    ]

    @Test func autoPicksFirstUpNonLoopbackIPv4() throws {
        let address = try AddressPolicy.resolve("auto", port: 5001, allowLoopback: false) { interfaces }
        #expect(address.description == "198.51.100.9:5001")
    }

    @Test func autoFallsBackToGlobalIPv6() throws {
        let onlyV6 = interfaces.filter { $0.interface != "eth3" }
        let address = try AddressPolicy.resolve("auto", port: 5001, allowLoopback: false) { onlyV6 }
        #expect(address.description == "[2001:db8::5]:5001")
    }

    @Test func autoWithoutAnyAddressFails() {
        #expect(throws: FerryError("auto: this host has no non-loopback address that is up")) {
            try AddressPolicy.resolve("auto", port: 1, allowLoopback: false) { [interfaces[0]] }
        }
    }

    @Test(arguments: ["127.0.0.1", "127.8.9.10", "::1", "localhost", "LOCALHOST", "::ffff:127.0.0.1", "[::1]"])
    func loopbackIsRefused(text: String) throws {
        let error = #expect(throws: FerryError.self) { try AddressPolicy.resolve(text, port: 5001, allowLoopback: false) }
        #expect(error?.message.hasPrefix("\(text) is a loopback address: the assignment requires a real network address") == true)
        #expect(try AddressPolicy.resolve(text, port: 5001, allowLoopback: true).isLoopback)
    }

    @Test func ipv6AddressesParse() throws {
        let address = try AddressPolicy.resolve("fd00:99::2", port: 5001, allowLoopback: false)
        #expect(address.family == AF_INET6)
        #expect(address.description == "[fd00:99::2]:5001")
        #expect(!address.isLoopback)
    }

    @Test func ipv4AddressesParse() throws {
        let address = try AddressPolicy.resolve("10.99.0.2", port: 80, allowLoopback: false)
        #expect(address.family == AF_INET)
        #expect(address.host == "10.99.0.2")
        #expect(address.port == 80)
    }

    @Test func namesAreNotAddresses() {
        #expect(throws: FerryError("'example.org' is not an IPv4 or IPv6 address")) {
            try AddressPolicy.resolve("example.org", port: 1, allowLoopback: false)
        }
    }

    @Test func realInterfacesCanBeListed() throws {
        let listed = try InterfaceAddress.current()
        #expect(listed.contains { $0.isLoopbackInterface })
    }
}
