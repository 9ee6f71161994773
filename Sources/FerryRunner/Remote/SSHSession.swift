import FerryCore
import FerryScenario
import Foundation
import Synchronization

/// One machine of a run, reached with OpenSSH: `ssh` and `scp` with the scenario's options, never
/// waiting at a prompt (`BatchMode=yes`), host keys checked, and one multiplexed connection
/// (`ControlMaster`) that every later command of the run reuses.
///
/// Everything the runner puts there lives in `folder`, a fresh folder per run under the host's
/// `workdir`; `close()` removes it and ends the connection.
public final class SSHSession: Sendable {
    public let host: RemoteHost
    /// This run's folder on the machine: `<workdir>/ferry-<token>`.
    public let folder: String
    /// Where the control socket lives on this machine.
    private let controlFolder: String
    /// How long making the connection may take.
    public let connectTimeout: Int
    /// The run made the host's workdir itself, so it goes at the end too (when empty).
    private let madeWorkdir = Atomic<Bool>(false)

    /// The most seconds any setup command (copying, listing, hashing) may take.
    public static let commandLimit: TimeInterval = 300

    init(host: RemoteHost, token: String, controlFolder: String, connectTimeout: Int) {
        self.host = host
        self.folder = "\(host.workdir)/ferry-\(token)"
        self.controlFolder = controlFolder
        self.connectTimeout = connectTimeout
    }

    /// The options `ssh` and `scp` share. Each command uses the shared connection when it is
    /// there (`ControlPath`) and never becomes it (`ControlMaster=no`): a master started by a
    /// command would stay in the background holding that command's output pipes.
    private var options: [String] { options(master: false) }

    private func options(master: Bool) -> [String] {
        var options = ["-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=\(connectTimeout)",
                       "-o", "ControlMaster=\(master ? "yes" : "no")", "-o", "ControlPath=\(controlFolder)/%C",
                       "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3", "-o", "LogLevel=ERROR"]
        if let config = host.sshConfig { options = ["-F", config] + options }
        if let identity = host.identity { options += ["-i", identity, "-o", "IdentitiesOnly=yes"] }
        if let knownHosts = host.knownHosts { options += ["-o", "UserKnownHostsFile=\(knownHosts)"] }
        return options
    }

    /// `ssh` on this machine.
    private static let ssh = ChildProcess.locate("ssh") ?? "ssh"

    /// The port (when not ssh's own) and the destination: the end of every ssh command line.
    private var target: [String] { (host.port.map { ["-p", String($0)] } ?? []) + [host.destination] }

    /// `ssh … destination -- command`: `command` is one line for the remote shell. With `shared`
    /// false it gets a connection of its own: a command multiplexed over the shared connection
    /// hands its output pipes to that connection's process, which then holds them until the
    /// remote command ends, also after the runner stopped the local ssh. A side's command runs
    /// on a connection of its own for that reason.
    public func sshArguments(_ command: String, shared: Bool = true) -> [String] {
        [Self.ssh] + (shared ? [] : ["-o", "ControlPath=none"]) + options + target + ["--", command]
    }

    /// `scp` of local `sources` to the remote `target` (or, with `fetch`, of remote sources here).
    func scpArguments(_ sources: [String], to target: String, fetch: Bool = false) -> [String] {
        let remote = { (path: String) in "\(self.host.destination):\(path)" }
        return [ChildProcess.locate("scp") ?? "scp", "-q", "-r", "-p"] + options + (host.port.map { ["-P", String($0)] } ?? [])
            + (fetch ? sources.map(remote) + [target] : sources + [remote(target)])
    }

    /// What a command printed and how it ended.
    public struct Output {
        /// How it ended: ssh's own failures are exit status 255.
        public var status: Termination
        /// Its standard output, line by line.
        public var stdout: [String]
        /// Its standard error, line by line.
        public var stderr: [String]
    }

    /// Runs `arguments` (an ssh or scp command) here to its end, at most `limit` seconds.
    /// Untracked: the clean-up on SIGINT runs these after the tracked children were stopped.
    /// - Throws: when the output was cut (over the capture cap) or never closed: a listing that is
    ///   not whole must not be judged.
    private func execute(_ arguments: [String], limit: TimeInterval) throws -> Output {
        let child = try ChildProcess(arguments: arguments, tracked: false)
        let status = child.wait(until: Date().addingTimeInterval(limit)) ?? child.stop()
        guard child.output.waitForClose(until: Date().addingTimeInterval(2)), child.output.dropped == 0 else {
            throw FerryRunError.environment("ssh \(host.label): the output of \(arguments.last ?? "a command") was not read whole")
        }
        let lines = child.output.snapshot
        return Output(status: status, stdout: lines.filter { $0.stream == .stdout }.map(\.text),
                      stderr: lines.filter { $0.stream == .stderr }.map(\.text))
    }

    /// Runs a shell line on the machine. - Throws: when ssh itself failed (one line saying why).
    @discardableResult
    public func run(_ command: String, limit: TimeInterval = commandLimit) throws -> Output {
        let output = try execute(sshArguments(command), limit: limit)
        if output.status == .exited(255) { throw failure(output.stderr) }
        return output
    }

    /// Runs a shell line that must succeed. - Throws: with what it printed on stderr.
    @discardableResult
    func require(_ command: String, doing what: String) throws -> Output {
        let output = try run(command)
        guard output.status == .exited(0) else {
            throw FerryRunError.environment("ssh \(host.label): \(what) failed (\(output.status)): \(output.stderr.last ?? "no message")")
        }
        return output
    }

    /// Copies local files or folders into `target` on the machine.
    func upload(_ sources: [String], to target: String) throws {
        let output = try execute(scpArguments(sources, to: target), limit: Self.commandLimit)
        guard output.status == .exited(0) else {
            throw FerryRunError.environment("scp to \(host.label):\(target) failed: \(output.stderr.last ?? "\(output.status)")")
        }
    }

    /// Copies remote files or folders into the local folder `target`.
    func fetch(_ sources: [String], to target: String) throws {
        let output = try execute(scpArguments(sources, to: target, fetch: true), limit: Self.commandLimit)
        guard output.status == .exited(0) else {
            throw FerryRunError.environment("scp from \(host.label) failed: \(output.stderr.last ?? "\(output.status)")")
        }
    }

    /// Connects, makes the run's folder, then starts the shared connection the run's later
    /// commands go through.
    /// - Throws: one line saying what failed and what usually helps.
    func open() throws {
        // A plain connection first: its errors (host key, key, address) are the ones to report.
        // The workdir must be this account's own and writable by nobody else (it may be in /tmp,
        // where another user could otherwise swap the binaries copied there); the run's folder
        // is new (mkdir without -p fails if it is there).
        let workdir = RunInfo.shellWords([host.workdir])
        let made = try require(
            "umask 077; [ -d \(workdir) ] || echo made; mkdir -p \(workdir) && [ -O \(workdir) ] && [ ! -L \(workdir) ] "
                + "&& [ -z \"$(find \(workdir) -maxdepth 0 -perm /022)\" ] "
                + "|| { echo \"\(host.workdir) is not a folder of this account's that only it can write to\" >&2; exit 1; }; "
                + "mkdir \(RunInfo.shellWords([folder]))",
            doing: "making \(folder)")
        madeWorkdir.store(made.stdout.contains("made"), ordering: .relaxed)
        // The shared connection goes to the background (-f) with nothing of the runner's open;
        // if it cannot start, every command connects on its own, slower but the same.
        let master = [Self.ssh] + options(master: true) + ["-o", "ControlPersist=600", "-f", "-N"] + target
        _ = try? execute(["sh", "-c", "exec \"$0\" \"$@\" </dev/null >/dev/null 2>&1"] + master, limit: Double(connectTimeout) + 5)
    }

    /// Removes the run's folder and ends the shared connection. Errors are ignored: this runs on
    /// every path out, also when the machine went away.
    public func close() {
        let workdir = madeWorkdir.load(ordering: .relaxed) ? "; rmdir \(RunInfo.shellWords([host.workdir])) 2>/dev/null" : ""
        _ = try? execute(sshArguments("rm -rf \(RunInfo.shellWords([folder]))\(workdir); true"), limit: 30)
        _ = try? execute([Self.ssh] + options + ["-O", "exit"] + target, limit: 10)
    }

    /// One line for an ssh failure, from what ssh printed, with the usual remedy.
    func failure(_ stderr: [String]) -> FerryRunError {
        let said = stderr.filter { !$0.isEmpty }.joined(separator: " ")
        let last = stderr.last(where: { !$0.isEmpty }) ?? "ssh failed"
        let (address, port) = (host.destination.split(separator: "@").last.map(String.init) ?? host.destination, host.port ?? 22)
        let reason: String
        if said.contains("Host key verification failed") || said.contains("host key is known") {
            let file = host.knownHosts ?? "~/.ssh/known_hosts"
            reason = "its host key is not known; check the key's fingerprint with the machine's owner, then add it: "
                + "ssh-keyscan -p \(port) \(address) >> \(file)"
        } else if said.contains("Permission denied") {
            reason = "permission denied: the key was not accepted (\(host.identity.map { "identity \($0)" } ?? "the agent's and ~/.ssh keys"))"
        } else if said.contains("timed out") {
            reason = "no answer within \(connectTimeout) s: check the address and that port \(port) is open"
        } else {
            reason = last.replacingOccurrences(of: "ssh: ", with: "")
        }
        return FerryRunError.environment("ssh \(host.label): \(reason)")
    }
}
