import Foundation
import Glibc

/// A regular file in a folder, read with `readdir` and `fstatat`: its name as the bytes on disk,
/// whatever they are (a name that is not UTF-8 is a file too), and what identifies its content.
struct FolderEntry: Sendable {
    init(_ rawName: [UInt8], _ info: stat) {
        self.rawName = rawName
        name = String(decoding: rawName, as: UTF8.self)
        modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        links = UInt64(info.st_nlink)
    }

    /// The name's bytes.
    let rawName: [UInt8]
    /// The name for people: UTF-8, with U+FFFD where the bytes are not.
    let name: String
    /// Last modification, nanoseconds since 1970.
    let modified: Int64
    let identity: FileIdentity
    /// How many names the file has.
    let links: UInt64
}

/// A file's device and inode: the same for every name of one file.
struct FileIdentity: Hashable, Sendable {
    let device: UInt64
    let inode: UInt64
}

/// An open folder, read by descriptor: one `readdir` pass and one `fstatat` per entry, no
/// attribute dictionaries; files are opened relative to it. Closed exactly once.
final class OpenFolder {
    private var stream: OpaquePointer?
    let path: String

    /// Opens `path`; nil when it is not a readable folder (or, with `followingLinks` false, when
    /// it is a symbolic link).
    init?(_ path: String, followingLinks: Bool = true) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | (followingLinks ? 0 : O_NOFOLLOW))
        guard descriptor >= 0 else { return nil }
        guard let stream = fdopendir(descriptor) else {
            Glibc.close(descriptor)
            return nil
        }
        self.stream = stream
        self.path = path
    }

    deinit {
        assert(stream == nil, "OpenFolder \(path) leaked: close() was never called")
    }

    var descriptor: Int32 { stream.map { dirfd($0) } ?? -1 }

    /// Every regular file (symbolic links and hidden names left out).
    func regularFiles() -> [FolderEntry] {
        var entries: [FolderEntry] = []
        forEachRegularFile { entries.append($0) }
        return entries
    }

    /// Calls `body` with every regular file (symbolic links and hidden names left out), one at a
    /// time, keeping none; with `where`, only for names it accepts, the others not even looked up.
    func forEachRegularFile(where wanted: ([UInt8]) -> Bool = { _ in true }, _ body: (FolderEntry) -> Void) {
        guard let stream else { return }
        rewinddir(stream)
        while let entry = readdir(stream) {
            let raw = Self.name(entry)
            guard let first = raw.first, first != UInt8(ascii: "."), wanted(raw) else { continue }
            var info = stat()
            let found = Self.withCName(raw) { fstatat(dirfd(stream), $0, &info, AT_SYMLINK_NOFOLLOW) }
            guard found == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            body(FolderEntry(raw, info))
        }
    }

    /// The regular file named `raw` in this folder; nil when there is none (or it is something else).
    func regularFile(named raw: [UInt8]) -> FolderEntry? {
        var info = stat()
        guard Self.withCName(raw, { fstatat(descriptor, $0, &info, AT_SYMLINK_NOFOLLOW) }) == 0,
            (info.st_mode & S_IFMT) == S_IFREG
        else { return nil }
        return FolderEntry(raw, info)
    }

    /// An entry's name's bytes, read in place. Not through `entry.pointee`: that copies a whole
    /// `dirent` (280 bytes), while a record is only `d_reclen` bytes long (24 for a short name),
    /// and the last record of `readdir`'s buffer may end just before an unmapped page. Copying
    /// it crashed the runner once while it removed 10,000 passing copies.
    static func name(_ entry: UnsafeMutablePointer<dirent>) -> [UInt8] {
        let start = UnsafeRawPointer(entry) + MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        return Array(UnsafeRawBufferPointer(start: start, count: strlen(start.assumingMemoryBound(to: CChar.self))))
    }

    /// The next entry's name other than `.` and `..`, read in place; nil at the end.
    func nextName() -> [UInt8]? {
        guard let stream else { return nil }
        while let entry = readdir(stream) {
            let raw = Self.name(entry)
            if raw != [UInt8(ascii: ".")] && raw != [UInt8(ascii: "."), UInt8(ascii: ".")] { return raw }
        }
        return nil
    }

    /// Asks the kernel to start reading the first `bytes` of the regular file named `raw` in the
    /// folder open as `descriptor` (`posix_fadvise` WILLNEED), so that a later read finds them in
    /// the page cache; does nothing for a name that is missing or not a regular file.
    static func prefetch(_ raw: [UInt8], in descriptor: Int32, bytes: Int) {
        var info = stat()
        guard withCName(raw, { fstatat(descriptor, $0, &info, AT_SYMLINK_NOFOLLOW) }) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return }
        let file = withCName(raw) { openat(descriptor, $0, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) }
        guard file >= 0 else { return }
        _ = posix_fadvise(file, 0, off_t(bytes), POSIX_FADV_WILLNEED)
        Glibc.close(file)
    }

    /// Opens the entry for reading, relative to this folder; -1 unless it is (still) a regular
    /// file. Never waits: a FIFO put in a copy's place is not opened for a writer that never comes.
    func openForReading(_ entry: FolderEntry) -> Int32 {
        let descriptor = Self.withCName(entry.rawName) { openat(self.descriptor, $0, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK) }
        guard descriptor >= 0 else { return -1 }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            Glibc.close(descriptor)
            return -1
        }
        return descriptor
    }

    /// Calls `body` with a name's bytes as a NUL-terminated C string.
    static func withCName<T>(_ raw: [UInt8], _ body: (UnsafePointer<CChar>) -> T) -> T {
        (raw.map { CChar(bitPattern: $0) } + [0]).withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    func close() {
        guard let stream else { return }
        closedir(stream)
        self.stream = nil
    }
}
