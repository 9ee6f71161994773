import FerryCore
import Glibc

/// An exclusive lock on a work folder for the whole run (`flock` on `<folder>/.ferry-lock`), so
/// that two runners never share one: each would judge the other's copies. The lock goes with the
/// process; children do not inherit it.
public final class WorkFolderLock {
    private var descriptor: Int32
    public let folder: String

    /// The name of the lock file in the work folder.
    public static let fileName = ".ferry-lock"

    /// Takes the lock, or throws the one-line reason (another runner holds it).
    public init(_ folder: String) throws {
        self.folder = folder
        let path = "\(folder)/\(Self.fileName)"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw FerryRunError.environment("--work-dir \(folder): cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            Glibc.close(descriptor)
            descriptor = -1
            if code == EWOULDBLOCK {
                throw FerryRunError.environment(
                    "--work-dir \(folder): another runner is using it; give each run its own --work-dir (the default is a fresh one)")
            }
            throw FerryRunError.environment("--work-dir \(folder): cannot lock \(path): \(String(cString: strerror(code)))")
        }
    }

    deinit {
        assert(descriptor < 0, "WorkFolderLock \(folder) leaked: release() was never called")
    }

    /// Lets the folder go. Call once.
    public func release() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }
}
