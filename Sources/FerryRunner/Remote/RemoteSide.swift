import FerryCore
import FerryScenario
import Foundation

/// One side of a case on another machine: its folder there (`<run folder>/<case>-<token>/<side>`,
/// fresh for each case, so a case never sees another's copies), how its command is run over ssh,
/// and how it is stopped.
///
/// The command runs as `cd <folder> && echo $$ > .pid && exec <command>`: sshd starts every
/// session's command as a process group leader, so the shell's `$$`, which the command replaces,
/// names the side's whole process group, and `stop()` signals it: SIGTERM, a grace of 2 s, then
/// SIGKILL. Stopping the local ssh alone would leave the remote side running.
struct RemoteSide: Sendable {
    let session: SSHSession
    let side: CheckName.Side
    /// The side's folder on the machine.
    let folder: String

    init(session: SSHSession, caseFolder: String, side: CheckName.Side) {
        self.session = session
        self.side = side
        self.folder = "\(session.folder)/\(caseFolder)/\(side.rawValue)"
    }

    /// A case's folder name on the machines: its local folder's name and a token of its own.
    static func caseFolder(_ name: String) -> String { "\(name)-\(NamespacePair.newToken())" }

    var pidFile: String { "\(folder)/.pid" }

    /// Where Ferry's own binaries are on the machine.
    var binaries: String { "\(session.folder)/bin" }

    /// Where the files copied for the side are: a hidden folder of their own, so that no name of
    /// theirs meets the side's own (`received`, `server.json`, `.pid`, a program's files) and the
    /// verifier never takes them for copies.
    var files: String { "\(folder)/.ferry" }

    /// Makes the folder and copies `paths` into its `files` (keeping their names).
    func prepare(uploading paths: [String]) throws {
        try session.require("mkdir -p \(RunInfo.shellWords([files]))", doing: "making \(folder)")
        if !paths.isEmpty { try session.upload(paths, to: files + "/") }
    }

    /// Copies a program's prepared local folder there as the side's folder (the local folder's
    /// name is the side's, as the remote one's), then `paths` into its `.ferry`.
    func stage(_ localFolder: String, uploading paths: [String]) throws {
        let parent = URL(fileURLWithPath: folder).deletingLastPathComponent().path
        try session.require("mkdir -p \(RunInfo.shellWords([parent]))", doing: "making \(parent)")
        try session.upload([localFolder], to: parent + "/")
        try prepare(uploading: paths)
    }

    /// Removes the side's folder there (its copies too), once they were verified.
    func remove() {
        _ = try? session.run("rm -rf \(RunInfo.shellWords([folder]))", limit: 60)
    }

    /// The local command that runs `arguments` there, in the side's folder.
    func command(_ arguments: [String]) -> [String] {
        session.sshArguments("cd \(RunInfo.shellWords([folder])) && echo $$ > .pid && exec \(RunInfo.shellWords(arguments))", shared: false)
    }

    /// Stops the side's process group there, if it still runs.
    func stop() {
        let pid = "\"$(cat \(RunInfo.shellWords([pidFile])) 2>/dev/null)\""
        // `kill -TERM -PGID`, not `kill -- -PGID`: dash (Debian's /bin/sh, many accounts' shell) has
        // no `--`. The pid file goes first, so a second stop cannot signal a reused pid.
        let script = "p=\(pid); rm -f \(RunInfo.shellWords([pidFile])); [ -n \"$p\" ] || exit 0; kill -TERM -\"$p\" 2>/dev/null || exit 0; "
            + "for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 -\"$p\" 2>/dev/null || exit 0; sleep 0.2; done; kill -KILL -\"$p\" 2>/dev/null; exit 0"
        _ = try? session.run(script, limit: 20)
    }

    /// The machine's own address as the runner reached it (sshd's `SSH_CONNECTION`, third field).
    func ownAddress() throws -> String { try connectionField(3) }

    /// This machine's address as that machine's sshd saw it (`SSH_CONNECTION`, first field).
    func peerAddress() throws -> String { try connectionField(1) }

    private func connectionField(_ index: Int) throws -> String {
        let output = try session.require("set -- $SSH_CONNECTION; echo \"$\(index)\"", doing: "asking for its address")
        guard let address = output.stdout.first(where: { !$0.isEmpty }), (try? SocketAddress(host: address, port: 0)) != nil else {
            throw FerryRunError.environment("ssh \(session.host.label): the machine did not say the connection's addresses (SSH_CONNECTION)")
        }
        return address
    }

    /// Copies a file or folder of the side's folder into the local folder `local`.
    func fetch(_ name: String, to local: String) throws {
        try session.fetch(["\(folder)/\(name)"], to: local)
    }
}
