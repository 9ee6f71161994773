import Foundation
import Glibc

/// A file written without a name and put in place at once when complete: an unnamed file
/// (`O_TMPFILE`) in the target's folder, or, where the file system lacks those, a hidden
/// `.<name>.partial-<pid>` beside it. Until `publish()` nothing can reach it by the target's
/// name, so an earlier file stays whole and a program cannot write into it; `abandon()` leaves
/// nothing behind. Closed exactly once, by one of the two.
public final class StagedFile {
    /// Where the file goes.
    public let target: String
    private var file: OpenFile?
    /// The hidden name, when unnamed files are not available.
    private var partial: String?

    /// Starts the file for `target`.
    /// - Throws: `SystemError` when neither an unnamed nor a hidden file can be made in its folder.
    public init(target: String) throws {
        self.target = target
        let folder = URL(fileURLWithPath: target).deletingLastPathComponent().path
        do {
            file = try OpenFile.unnamed(in: folder, label: target)
        } catch let error as SystemError where [EOPNOTSUPP, EISDIR, EINVAL].contains(error.code) {
            let hidden = "\(folder)/.\(URL(fileURLWithPath: target).lastPathComponent).partial-\(getpid())"
            file = try OpenFile(path: hidden, flags: O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC)
            partial = hidden
        }
    }

    deinit {
        assert(file == nil, "StagedFile \(target) leaked: publish() or abandon() was never called")
    }

    /// Writes all of `buffer`.
    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        guard let file else { throw FerryError("\(target): written after it was closed") }
        try file.write(buffer)
    }

    /// Puts the file at `target` (replacing an earlier one there in one step) and closes it.
    /// - Throws: `SystemError`; the file is closed (and its hidden name removed) either way.
    public func publish() throws {
        guard let file else { return }
        defer {
            file.close()
            self.file = nil
        }
        do {
            if let partial {
                try systemCall("rename", target) { rename(partial, target) }
            } else {
                // A name of its own first (linkat never replaces), then over the old file at once.
                let folder = URL(fileURLWithPath: target).deletingLastPathComponent().path
                let staged = "\(folder)/.\(URL(fileURLWithPath: target).lastPathComponent).\(getpid())"
                unlink(staged)
                try file.link(as: staged)
                try systemCall("rename", target) { rename(staged, target) }
            }
        } catch {
            if let partial { unlink(partial) }
            throw error
        }
    }

    /// Closes the file without putting it in place.
    public func abandon() {
        guard let file else { return }
        file.close()
        self.file = nil
        if let partial { unlink(partial) }
    }
}
