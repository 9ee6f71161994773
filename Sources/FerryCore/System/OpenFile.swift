import Glibc

/// An open file descriptor for a regular file, owned by this object and closed exactly once.
public final class OpenFile {
    /// The descriptor, or -1 once closed.
    public private(set) var descriptor: Int32
    /// The path it was opened with, for error messages (for an unnamed file: the name it is
    /// meant to get, which its owner may set when it knows).
    public internal(set) var path: String

    /// Opens `path` with the `open(2)` flags and mode given.
    public init(path: String, flags: Int32, mode: mode_t = 0o644) throws {
        self.path = path
        self.descriptor = try systemCall("open", path) { open(path, flags | O_CLOEXEC, mode) }
    }

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// `O_TMPFILE` from <fcntl.h> (`__O_TMPFILE | O_DIRECTORY`, O_DIRECTORY's value differing
    /// between architectures), which Glibc's module does not export.
    private static let temporaryFileFlag: Int32 = 0o20_000_000 | O_DIRECTORY
    /// `AT_EMPTY_PATH` and `AT_SYMLINK_FOLLOW` from <fcntl.h>.
    private static let emptyPath: Int32 = 0x1000
    private static let followLinks: Int32 = 0x400

    /// Creates a file without a name in `directory` (`O_TMPFILE`) for writing: it gets one only
    /// through `link(as:)`, and vanishes when closed without one, so nothing half-written is
    /// ever seen under a name and nothing is left behind. `label` names it in error messages.
    /// - Throws: `SystemError`; EOPNOTSUPP, EISDIR or EINVAL where the file system or the kernel
    ///   lacks unnamed files.
    public static func unnamed(in directory: String, label: String) throws -> OpenFile {
        let descriptor = try systemCall("open O_TMPFILE", directory) { open(directory, temporaryFileFlag | O_WRONLY | O_CLOEXEC, 0o644) }
        return OpenFile(descriptor: descriptor, path: label)
    }

    /// Gives a file made by `unnamed(in:label:)` the name `target` (one `linkat`), never
    /// replacing a file already there (EEXIST). As root through the descriptor itself
    /// (`AT_EMPTY_PATH`), otherwise through `/proc/self/fd`.
    public func link(as target: String) throws {
        if linkat(descriptor, "", AT_FDCWD, target, Self.emptyPath) == 0 { return }
        let code = errno
        guard code == ENOENT || code == EPERM else { throw SystemError(call: "link", code: code, context: "\(path) -> \(target)") }
        let procPath = "/proc/self/fd/\(descriptor)"
        try systemCall("link", "\(path) -> \(target)") { linkat(AT_FDCWD, procPath, AT_FDCWD, target, Self.followLinks) }
    }

    /// Opens an existing regular file for reading; a directory or a device is refused.
    public static func forReading(_ path: String) throws -> OpenFile {
        let file = try OpenFile(path: path, flags: O_RDONLY)
        var info = stat()
        do {
            try systemCall("fstat", path) { fstat(file.descriptor, &info) }
        } catch {
            file.close()
            throw error
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            file.close()
            throw FerryError("\(path): not a regular file")
        }
        return file
    }

    deinit {
        assert(descriptor < 0, "OpenFile \(path) leaked: close() was never called")
    }

    /// The file's size in bytes.
    public func size() throws -> UInt64 {
        var info = stat()
        try systemCall("fstat", path) { fstat(descriptor, &info) }
        return UInt64(info.st_size)
    }

    /// Writes every byte of `buffer` at the current offset.
    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        let fd = descriptor
        try writeFully(buffer, "write", path) { Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    /// Reads up to `buffer.count` bytes at `offset`; fewer only at the end of the file.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let target = UnsafeMutableRawBufferPointer(rebasing: buffer[filled...])
            let got = try systemCall("pread", path) {
                pread(descriptor, target.baseAddress, target.count, off_t(offset) + off_t(filled))
            }
            if got == 0 { break }
            filled += got
        }
        return filled
    }

    /// Sets the file's length (an incoming datagram copy ends at its last segment that arrived).
    public func truncate(to size: UInt64) throws {
        let fd = descriptor
        try systemCall("ftruncate", path) { ftruncate(fd, off_t(size)) }
    }

    /// Closes the descriptor. Must be called exactly once.
    public func close() {
        precondition(descriptor >= 0, "OpenFile \(path) closed twice")
        _ = Glibc.close(descriptor)
        descriptor = -1
    }
}
