import FerryCore
import FerryRunner
import Foundation

/// Two "remote machines" for tests, without leaving this machine: network namespaces joined to
/// this machine by a bridge (this machine 10.97.N.1, the server host 10.97.N.2, the client host
/// 10.97.N.3), each running its own `sshd` (Debian's openssh-server) on port 2222 with a
/// throwaway host key, a throwaway user key for root, and its own configuration. `remove()`
/// stops both sshds and removes the namespaces, the bridge and every file.
public final class SSHHosts {
    /// Why these tests cannot run here, or nil when they can.
    public static var unavailableReason: String? {
        if let reason = TestHosts.unavailableReason { return reason }
        if !FileManager.default.isExecutableFile(atPath: sshd) { return "\(sshd) is not installed (make test-deps installs openssh-server)" }
        for tool in ["ssh", "scp", "ssh-keygen"] where ChildProcess.locate(tool) == nil { return "\(tool) is not installed" }
        return nil
    }

    public static var skipComment: String { "needs sshd in network namespaces: \(unavailableReason ?? "")" }

    static let sshd = "/usr/sbin/sshd"
    public static let port = 2222

    public let token = NamespacePair.newToken()
    public let subnet: Int
    public let folder: TemporaryDirectory
    /// The "machines": the server's namespace, then the client's.
    public private(set) var namespaces: [String] = []
    private var links: [String] = []
    private var daemons: [ChildProcess] = []
    private var madeRunSSHD = false

    public var bridge: String { "fbr\(token)" }
    public var hostAddress: String { "10.97.\(subnet).1" }
    public var serverAddress: String { "10.97.\(subnet).2" }
    public var clientAddress: String { "10.97.\(subnet).3" }
    /// An address in the subnet where nothing answers.
    public var deadAddress: String { "10.97.\(subnet).9" }
    /// The user's private key, its known hosts file and an ssh configuration that reads nothing else.
    public var identity: String { folder.file("id_ed25519") }
    public var knownHosts: String { folder.file("known_hosts") }
    public var sshConfig: String { folder.file("ssh_config") }
    /// Where the runner works on both "machines": a folder of this test's own.
    public var workdir: String { folder.file("remote") }

    public init() throws {
        subnet = Int.random(in: 10...250)
        folder = try TemporaryDirectory("ferry-ssh")
        do {
            try setUp()
        } catch {
            remove()
            throw error
        }
    }

    private func setUp() throws {
        chmod(folder.path, 0o755)
        try Tool.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", folder.file("host_ed25519")])
        try Tool.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", identity])
        try FileManager.default.copyItem(atPath: identity + ".pub", toPath: folder.file("authorized_keys"))
        try FileManager.default.createDirectory(atPath: workdir, withIntermediateDirectories: true)
        _ = try folder.write("ssh_config", bytes: Array("Host *\n  User root\n".utf8))
        let hostKey = try String(contentsOfFile: folder.file("host_ed25519.pub"), encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        _ = try folder.write("known_hosts", bytes: Array(
            [serverAddress, clientAddress].map { "[\($0)]:\(Self.port) \(hostKey)\n" }.joined().utf8))
        // sshd's privilege separation folder.
        if !FileManager.default.fileExists(atPath: "/run/sshd") {
            try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
            madeRunSSHD = true
        }
        try Tool.run(["ip", "link", "add", bridge, "type", "bridge"])
        links.append(bridge)
        try Tool.run(["ip", "addr", "add", "\(hostAddress)/24", "dev", bridge])
        try Tool.run(["ip", "link", "set", bridge, "up"])
        for (index, address) in [serverAddress, clientAddress].enumerated() {
            let namespace = "ferry-ssh\(index)-\(token)"
            let outside = "fs\(index)\(token)", inside = link(index)
            try Tool.run(["ip", "netns", "add", namespace])
            namespaces.append(namespace)
            try Tool.run(["ip", "link", "add", outside, "type", "veth", "peer", "name", inside])
            links.append(outside)
            try Tool.run(["ip", "link", "set", inside, "netns", namespace])
            try Tool.run(["ip", "link", "set", outside, "master", bridge])
            try Tool.run(["ip", "link", "set", outside, "up"])
            try Tool.run(["ip", "-n", namespace, "addr", "add", "\(address)/24", "dev", inside])
            try Tool.run(["ip", "-n", namespace, "link", "set", inside, "up"])
            try Tool.run(["ip", "-n", namespace, "link", "set", "lo", "up"])
            let config = try folder.write("sshd_config_\(index)", bytes: Array("""
                Port \(Self.port)
                ListenAddress \(address)
                HostKey \(folder.file("host_ed25519"))
                PidFile \(folder.file("sshd\(index).pid"))
                AuthorizedKeysFile \(folder.file("authorized_keys"))
                StrictModes no
                UsePAM no
                PasswordAuthentication no
                KbdInteractiveAuthentication no
                PermitRootLogin prohibit-password
                Subsystem sftp internal-sftp
                LogLevel ERROR

                """.utf8))
            let daemon = try ChildProcess(arguments: ["ip", "netns", "exec", namespace, Self.sshd, "-D", "-e", "-f", config], tracked: false)
            daemons.append(daemon)
        }
        // Ready when each accepts connections.
        for address in [serverAddress, clientAddress] {
            guard ProcessTable.eventually(10, { Self.accepts(address, Self.port) }) else {
                throw FerryError("sshd on \(address):\(Self.port) did not start: "
                    + daemons.flatMap { $0.output.snapshot.map(\.text) }.joined(separator: " "))
            }
        }
    }

    /// True when a TCP connection to `address`:`port` is accepted.
    static func accepts(_ address: String, _ port: Int) -> Bool {
        guard let target = try? SocketAddress(host: address, port: UInt16(port)),
            let socket = try? Socket(family: target.family, type: SOCK_STREAM, context: "probe")
        else { return false }
        defer { socket.close() }
        return (try? socket.connect(to: target, timeoutNanoseconds: 200_000_000)) != nil
    }

    /// The interface of "machine" `index` (0 the server's, 1 the client's), in its namespace.
    public func link(_ index: Int) -> String { "fi\(index)\(token)" }

    /// The `hosts:` entry of a scenario for the machine at `address`.
    public func hostEntry(_ address: String, knownHosts: String? = nil, workdir: String? = nil) -> String {
        "{ssh: root@\(address), port: \(Self.port), identity: \(identity), known_hosts: \(knownHosts ?? self.knownHosts), "
            + "ssh_config: \(sshConfig), workdir: \(workdir ?? self.workdir)}"
    }

    /// What the runner left in the remote work folder (nothing, after a run: the folder was
    /// there before the run, so it stays, empty).
    public var leftovers: [String] {
        FileManager.default.fileExists(atPath: workdir) ? (try? FileManager.default.contentsOfDirectory(atPath: workdir)) ?? [] : ["(\(workdir) removed)"]
    }

    /// Stops the sshds and removes namespaces, links and files. Safe to call more than once.
    public func remove() {
        for daemon in daemons { _ = daemon.stop() }
        daemons = []
        for namespace in namespaces {
            // sshd's sessions run in sessions of their own: whatever still runs in there goes too.
            NamespacePair.killProcesses(in: namespace)
            _ = try? Tool.run(["ip", "netns", "del", namespace])
        }
        namespaces = []
        for link in links.reversed() { _ = try? Tool.run(["ip", "link", "del", link]) }
        links = []
        if madeRunSSHD { try? FileManager.default.removeItem(atPath: "/run/sshd") }
        madeRunSSHD = false
        folder.remove()
    }
}
