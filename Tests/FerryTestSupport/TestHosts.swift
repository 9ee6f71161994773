import FerryRunner
import Foundation

/// Network namespaces for end-to-end tests: whether they can be made here, and a pair for one test.
public enum TestHosts {
    /// Why namespace tests cannot run here, or nil when they can.
    public static let unavailableReason: String? = Privileges.namespaceUnavailableReason()

    /// True when namespace tests can run.
    public static var available: Bool { unavailableReason == nil }

    /// The skip text shown for tests that need namespaces.
    public static var skipComment: String {
        "needs network namespaces: \(unavailableReason ?? "")"
    }

    /// Runs `body` with a fresh namespace pair and removes the pair afterwards, also when `body` throws.
    public static func withPair<T>(
        ipv6: Bool = false, _ body: (NamespacePair) throws -> T
    ) throws -> T {
        let pair = ipv6
            ? try NamespacePair(serverAddress: "fd00:99::2", clientAddress: "fd00:99::1")
            : try NamespacePair(serverAddress: "10.99.0.2", clientAddress: "10.99.0.1")
        defer { pair.remove() }
        return try body(pair)
    }
}
