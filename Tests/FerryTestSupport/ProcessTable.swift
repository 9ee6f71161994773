import FerryRunner
import Foundation

/// Looks at this machine's processes and namespaces, to prove that a run left nothing behind.
public enum ProcessTable {
    /// Process ids whose command line contains `marker`.
    public static func pids(containing marker: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), pid != getpid(),
                let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"), !data.isEmpty
            else { return nil }
            let text = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return text.contains(marker) ? pid : nil
        }
    }

    /// The network namespaces `ip netns list` shows.
    public static func namespaces() -> Set<String> {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []
        return Set(names)
    }

    /// Removes what a failed test may have left: namespaces not in `before` that Ferry made, and
    /// processes whose command line holds `marker`.
    public static func removeLeftovers(namespacesBefore before: Set<String>, marker: String) {
        for pid in pids(containing: marker) { kill(pid, SIGKILL) }
        for name in namespaces().subtracting(before) where name.hasPrefix("ferry-") {
            _ = try? Tool.run(["ip", "netns", "del", name])
        }
    }

    /// Waits up to `seconds` for `condition`; true when it held.
    public static func eventually(_ seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(20_000)
        }
        return condition()
    }
}
