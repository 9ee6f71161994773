import FerryCore
import FerryScenario
import Foundation
import Synchronization

/// The run's connections to other machines, one per host, made when a case first needs it and
/// kept for the run: Ferry's `server` and `client` are copied there once. `closeAll()` stops
/// every side still running there and removes everything the run put on each machine; the runner
/// calls it at the end of a run and on SIGINT or SIGTERM.
public final class RemoteSessions: Sendable {
    /// The run's sessions: one runner process runs one run at a time.
    public static let shared = RemoteSessions()

    private struct State {
        var sessions: [String: SSHSession] = [:]
        var running: [String: RemoteSide] = [:]
        /// What to undo at the end (a case's firewall table), by key.
        var undo: [String: @Sendable () -> Void] = [:]
        var controlFolder: String?
    }

    private let state = Mutex(State())

    /// How long making a connection may take, in seconds.
    public static let connectTimeout = 10

    /// The connected session for `host`, with Ferry's binaries from `binaries` in its `bin` folder.
    /// The session is recorded before it connects, so that `closeAll` (on SIGINT) removes what
    /// a half-made session put there; the lock is not held while it connects and copies.
    /// - Throws: one line when the machine cannot be reached or prepared (exit status 3).
    func session(for host: RemoteHost, binaries: String) throws -> SSHSession {
        for name in ["server", "client"] where !FileManager.default.isExecutableFile(atPath: "\(binaries)/\(name)") {
            throw FerryRunError.environment(
                "hosts: \(binaries)/\(name) not found: remote hosts run binaries that need no Swift there; build them with make dist "
                    + "(or give --remote-binaries)")
        }
        let key = "\(host.label) \(host.workdir)"
        let (session, isNew) = try state.withLock { state -> (SSHSession, Bool) in
            if let session = state.sessions[key] { return (session, false) }
            let control = try state.controlFolder ?? Self.makeControlFolder()
            state.controlFolder = control
            // A token per session: two hosts may be one machine (or share a folder) under two names.
            let session = SSHSession(host: host, token: NamespacePair.newToken(), controlFolder: control, connectTimeout: Self.connectTimeout)
            state.sessions[key] = session
            return (session, true)
        }
        guard isNew else { return session }
        do {
            try session.open()
            try session.require("mkdir -p \(RunInfo.shellWords([session.folder + "/bin"]))", doing: "making the bin folder")
            try session.upload(["\(binaries)/server", "\(binaries)/client"], to: "\(session.folder)/bin/")
        } catch {
            _ = state.withLock { $0.sessions.removeValue(forKey: key) }
            session.close()
            throw error
        }
        return session
    }

    /// A short folder of its own for the control sockets (their paths must stay under 108 bytes).
    private static func makeControlFolder() throws -> String {
        var template = Array("/tmp/ferry-ssh-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw FerryRunError.environment("cannot make a folder for ssh's control sockets in /tmp: \(String(cString: strerror(errno)))")
        }
        return String(cString: made)
    }

    /// `action` runs in `closeAll` unless `closed(key)` comes first.
    func onClose(_ key: String, _ action: @escaping @Sendable () -> Void) { state.withLock { $0.undo[key] = action } }

    /// What `onClose` registered under `key` was done.
    func closed(_ key: String) { _ = state.withLock { $0.undo.removeValue(forKey: key) } }

    /// A side started on a remote machine: stopped by `closeAll` unless `ended` first.
    func started(_ side: RemoteSide) { state.withLock { $0.running[side.pidFile] = side } }

    /// The side was stopped (or ended by itself) and needs nothing more.
    func ended(_ side: RemoteSide) { _ = state.withLock { $0.running.removeValue(forKey: side.pidFile) } }

    /// Stops every side still running remotely, removes each run folder, ends the connections.
    public func closeAll() {
        let (sides, sessions, control, undo) = state.withLock { state in
            defer {
                state.undo = [:]
                state.running = [:]
                state.sessions = [:]
                state.controlFolder = nil
            }
            return (Array(state.running.values), Array(state.sessions.values), state.controlFolder, Array(state.undo.values))
        }
        sides.forEach { $0.stop() }
        undo.forEach { $0() }
        sessions.forEach { $0.close() }
        if let control { try? FileManager.default.removeItem(atPath: control) }
    }
}
