import Foundation
import Glibc

/// Whether this process may create network namespaces.
public enum Privileges {
    /// nil when namespaces can be made here; otherwise why not, in one line.
    public static func namespaceUnavailableReason() -> String? {
        guard ChildProcess.locate("ip") != nil else {
            return "the 'ip' command (Debian package iproute2) is not installed"
        }
        guard geteuid() == 0 || hasCapability(12) && hasCapability(21) else {
            return "creating network namespaces needs root (or CAP_NET_ADMIN and CAP_SYS_ADMIN)"
        }
        return nil
    }

    /// True when capability number `bit` is in this process's effective set.
    static func hasCapability(_ bit: Int) -> Bool {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
            let mask = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        return mask & (1 << UInt64(bit)) != 0
    }
}
