import Foundation
import Glibc

/// The folder where the server keeps its copies, and the names they get.
///
/// Copy n of standard file `sample.txt` is `sample.n.txt`; while it arrives it is written to a
/// file without a name (`O_TMPFILE`) that is linked under its name when complete (where the file
/// system lacks unnamed files: written as `.sample.n.txt.incoming` and renamed). A transfer that
/// broke off keeps what arrived as `sample.n.txt.partial`. Names come from the server's own
/// standard file, never from the name a client announced. Nothing already in the folder is ever
/// replaced: the server refuses to start when the folder holds a copy name it would write (see
/// `checkFree`), and every name is given exclusively (link or rename without replacing).
public final class CopyStore {
    /// The folder, as given.
    public let directory: String
    /// `directory` with a `/` at its end: a path is this and a name.
    private let folderPrefix: String
    private let stem: String
    private let fileExtension: String

    /// Makes the folder if needed and checks that files can be created in it. `unnamedFiles`
    /// false writes arriving copies under their hidden incoming names even where the file system
    /// has unnamed files (as it does where it has not).
    public init(directory: String, standardName: String, unnamedFiles: Bool = true) throws {
        self.directory = directory
        folderPrefix = directory.hasSuffix("/") ? directory : directory + "/"
        self.unnamedFiles = unnamedFiles
        (stem, fileExtension) = Self.nameParts(standardName)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw FerryError("store \(directory): cannot create the folder: \(error.localizedDescription)")
        }
        let probe = path(".ferry-write-test.\(getpid())")
        let file = try OpenFile(path: probe, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        file.close()
        unlink(probe)
    }

    /// The name of complete copy `n`: `sample.7.txt`.
    public func copyName(_ n: Int) -> String { "\(stem).\(n)\(fileExtension)" }

    /// The standard's name split before its last dot (not a leading one): `sample`, `.txt`.
    private static func nameParts(_ standardName: String) -> (stem: String, fileExtension: String) {
        guard let dot = standardName.lastIndex(of: "."), dot != standardName.startIndex else { return (standardName, "") }
        return (String(standardName[..<dot]), String(standardName[dot...]))
    }

    /// The copies' names as a pattern with `{n}` (`sample.{n}.txt`), as the runner verifies them;
    /// nil when the standard's name holds a brace, which a pattern cannot say.
    public static func namePattern(standardName: String) -> String? {
        guard !standardName.contains("{") && !standardName.contains("}") else { return nil }
        let (stem, fileExtension) = nameParts(standardName)
        return "\(stem).{n}\(fileExtension)"
    }
    /// The name a broken transfer's bytes are kept under: `sample.7.txt.partial`.
    public func partialName(_ n: Int) -> String { copyName(n) + ".partial" }
    private func incomingName(_ n: Int) -> String { "." + copyName(n) + ".incoming" }
    private func path(_ name: String) -> String { folderPrefix + name }

    /// Throws when the folder already holds a copy or partial copy numbered 1...count.
    public func checkFree(count: Int) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            // Not knowing what the store holds is not the same as it holding nothing.
            throw FerryError("store \(directory): cannot list it to check for copies of an earlier run: \(error.localizedDescription)")
        }
        let prefix = stem + "."
        for name in names where name.hasPrefix(prefix) {
            var rest = Substring(name.dropFirst(prefix.count))
            if rest.hasSuffix(".partial") { rest = rest.dropLast(".partial".count) }
            guard rest.hasSuffix(fileExtension) else { continue }
            let number = rest.dropLast(fileExtension.count)
            if let n = Int(number), (1...max(count, 1)).contains(n), String(n) == number {
                throw FerryError(
                    "store \(directory) already holds \(name) from an earlier run; the server never replaces "
                        + "files it did not write: move them away or pass another --store")
            }
        }
    }

    /// What to do with an incoming copy once its bytes are in.
    public enum Disposition: Sendable {
        /// All announced bytes arrived: the copy's final name.
        case complete
        /// The transfer broke off: keep what arrived under the partial name.
        case partial
        /// Keep nothing (the store's device is full: a partial copy would keep it full).
        case discard
    }

    /// Runs `body` with copy `n`'s incoming file open, closes it on every path, then gives it its
    /// final or partial name, or removes it, as `body` says; a throw removes it too.
    /// - Returns: the path the copy is stored under, or nil when nothing was kept.
    public func receiving(_ n: Int, _ body: (OpenFile) throws -> Disposition) throws -> String? {
        let complete = path(copyName(n))
        let (file, named) = try begin(n, path: complete)
        let disposition: Disposition
        do {
            disposition = try body(file)
        } catch {
            file.close()
            if named { discard(n) }
            throw error
        }
        let target = disposition == .complete ? complete : path(partialName(n))
        guard named else {
            // An unnamed file is given its name while still open; closed without one, it is gone.
            defer { file.close() }
            guard disposition != .discard else { return nil }
            try file.link(as: target)
            return target
        }
        file.close()
        switch disposition {
        case .discard:
            discard(n)
            return nil
        case .complete, .partial:
            do {
                return try keep(n, as: target)
            } catch {
                discard(n)
                throw error
            }
        }
    }

    /// False once the folder's file system refused an unnamed file: named incoming files then.
    private var unnamedFiles: Bool

    /// True for a write that failed because the store's device or quota is full.
    public static func isOutOfSpace(_ error: Error) -> Bool {
        guard let error = error as? SystemError else { return false }
        return error.code == ENOSPC || error.code == EDQUOT
    }

    /// The note of a copy given up for lack of space.
    public static let outOfSpaceNote = "no space: the store's device is full; what arrived was removed so that later copies that fit are stored"

    /// Creates the file copy `n` (stored at `path` when complete) is written to while it arrives:
    /// unnamed where the file system allows (the one `prepareNext` made, if any), else
    /// `.sample.n.txt.incoming` (`named`).
    func begin(_ n: Int, path complete: String) throws -> (file: OpenFile, named: Bool) {
        let label = complete + " (arriving)"
        if let file = spare.take() {
            file.path = label
            return (file, false)
        }
        if let file = try unnamed(label: label) { return (file, false) }
        return (try OpenFile(path: path(incomingName(n)), flags: O_WRONLY | O_CREAT | O_EXCL), true)
    }

    /// An unnamed file in the folder; nil where the file system has none (then never tried again).
    private func unnamed(label: String) throws -> OpenFile? {
        guard unnamedFiles else { return nil }
        do {
            return try OpenFile.unnamed(in: directory, label: label)
        } catch let error as SystemError where [EOPNOTSUPP, EISDIR, EINVAL].contains(error.code) {
            unnamedFiles = false
            return nil
        }
    }

    /// The unnamed file the next copy will be written to, made ahead by `prepareNext`.
    private var spare: OpenFile?

    /// Makes the next copy's unnamed file now, while no transfer waits on it: the TCP server calls
    /// it before it waits for its next client. Creating the file is about a third of what storing
    /// a small copy costs the file system (docs/performance.md); done here, a transfer does not
    /// wait for it. Where it fails, `begin` tries again and reports why.
    public func prepareNext() {
        guard spare == nil else { return }
        spare = try? unnamed(label: "\(directory) (an unnamed file made for the next copy)")
    }

    /// Closes the file `prepareNext` made, if no copy took it (it vanishes: it has no name).
    public func close() {
        spare?.close()
        spare = nil
    }

    /// Gives copy `n`'s incoming file the name `target`, never replacing a file:
    /// `renameat2(RENAME_NOREPLACE)` where the C library and the file system have it, else
    /// `link` and `unlink`.
    /// - Returns: the path it is now stored under.
    func keep(_ n: Int, as target: String) throws -> String {
        let source = path(incomingName(n))
        if let rename = renameWithoutReplacing {
            if rename(AT_FDCWD, source, AT_FDCWD, target, 1) == 0 { return target }
            let code = errno
            guard code == EINVAL || code == ENOSYS else { throw SystemError(call: "rename", code: code, context: "\(source) -> \(target)") }
        }
        try systemCall("link", "\(source) -> \(target)") { link(source, target) }
        unlink(source)
        return target
    }


    /// Removes the file of copy `n` when it could not be written at all.
    func discard(_ n: Int) {
        unlink(path(incomingName(n)))
    }
}

/// glibc's `renameat2` (2.28 and later), looked up at run time since Glibc's module does not export it.
private typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
private let renameWithoutReplacing: RenameAt2? = dlsym(nil, "renameat2").map {
    unsafeBitCast($0, to: RenameAt2.self)
}
