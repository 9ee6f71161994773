/// A machine of its own for one side, reached over OpenSSH (`hosts.server`, `hosts.client`):
/// the runner copies what the side needs there, runs it, and removes it afterwards.
public struct RemoteHost: Sendable, Equatable {
    /// `user@host` or `host`, or a `Host` of the ssh configuration.
    public var destination: String
    /// The sshd port; nil: ssh's own choice (22, or the configuration's `Port`).
    public var port: Int?
    /// The private key (`ssh -i`), absolute; nil: the agent and ssh's defaults.
    public var identity: String?
    /// The known hosts file (`UserKnownHostsFile`), absolute; nil: ssh's default.
    public var knownHosts: String?
    /// The ssh configuration (`ssh -F`), absolute; nil: the account's `~/.ssh/config`.
    public var sshConfig: String?
    /// The folder under which the runner works on that machine (a fresh folder per run in it).
    public var workdir: String

    /// `/tmp/ferry-run`.
    public static let defaultWorkdir = "/tmp/ferry-run"

    public init(
        destination: String, port: Int? = nil, identity: String? = nil, knownHosts: String? = nil, sshConfig: String? = nil,
        workdir: String = RemoteHost.defaultWorkdir
    ) {
        self.destination = destination
        self.port = port
        self.identity = identity
        self.knownHosts = knownHosts
        self.sshConfig = sshConfig
        self.workdir = workdir
    }

    /// `root@10.97.0.2:2222`, for messages.
    public var label: String { port.map { "\(destination):\($0)" } ?? destination }
}

/// Where each side runs: nil is this machine.
public struct HostsSpec: Sendable, Equatable {
    public var server: RemoteHost?
    public var client: RemoteHost?

    public init(server: RemoteHost? = nil, client: RemoteHost? = nil) {
        self.server = server
        self.client = client
    }

    /// True when a side runs on another machine.
    public var anyRemote: Bool { server != nil || client != nil }
}
