import Foundation

/// Tells whether a port is listening in a process's network namespace, by reading
/// `/proc/PID/net/tcp` and `tcp6`. Unlike a test connection, this costs the server nothing:
/// a server that counts connections would take a probe for a transfer.
public enum ReadinessProbe {
    /// True when a TCP socket in `pid`'s namespace listens on `port` (or, for `datagram`, a UDP
    /// socket is bound to it).
    public static func isListening(pid: Int32, port: Int, datagram: Bool = false) -> Bool {
        (datagram ? ["udp", "udp6"] : ["tcp", "tcp6"]).contains { table in
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/net/\(table)", encoding: .utf8) else { return false }
            return listeningPorts(inTable: text, state: datagram ? "07" : "0A").contains(port)
        }
    }

    /// The first and the longest pause between two looks at the socket tables.
    static let firstPause: TimeInterval = 0.001
    static let longestPause: TimeInterval = 0.05

    /// Waits until `child`'s namespace has `port` listening (see `isListening`).
    ///
    /// The kernel tells no one when a socket starts listening (short of connecting, which a
    /// server would count as a transfer), so this looks at the tables, first after 1 ms, then
    /// twice as long each time up to 50 ms: a server that is ready at once is seen at once, a slow
    /// one costs at most 20 looks a second. Between looks it waits on the child's exit, so a server
    /// that dies is noticed at once.
    /// - Returns: false when `child` ended first or `deadline` passed.
    public static func waitUntilListening(_ child: ChildProcess, port: Int, datagram: Bool = false, until deadline: Date) -> Bool {
        var pause = firstPause
        while Date() < deadline {
            if isListening(pid: child.pid, port: port, datagram: datagram) { return true }
            if child.waitForExit(until: min(deadline, Date().addingTimeInterval(pause))) { return false }
            pause = min(pause * 2, longestPause)
        }
        return false
    }

    /// The local ports in `state` (0A: TCP LISTEN; 07: an unconnected UDP socket) in a `/proc/net/tcp` or `udp` table.
    public static func listeningPorts(inTable text: String, state: String = "0A") -> Set<Int> {
        var ports = Set<Int>()
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count > 3, fields[3] == state, let colon = fields[1].lastIndex(of: ":"),
                let port = Int(fields[1][fields[1].index(after: colon)...], radix: 16)
            else { continue }
            ports.insert(port)
        }
        return ports
    }
}
