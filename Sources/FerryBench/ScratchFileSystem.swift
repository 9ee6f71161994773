import FerryCore
import FerryRunner
import Foundation
import Synchronization

/// A fresh ext4 file system with a journal, on a loop device over a sparse image, mounted for one
/// bench and removed after it: where the contenders' copies, the runner's work and the files to
/// send live, so that the figures depend on neither the host's file system nor what earlier runs
/// removed.
///
/// Why: this host's root file system is ext4 without a journal, and ext4 without a journal skips,
/// when it allocates an inode, every free inode whose deletion is less than 60 s old (360 s while
/// its inode-table block is dirty), looking at them one by one. After a run removed thousands of
/// copies, creating one file took 12–170 µs instead of 12 µs, a 1-byte transfer takes 0.1–0.3 ms,
/// and which contender paid for it depended on the order (docs/performance.md).
///
/// It touches only what it made: `path.lock` is held while it lives (a second bench on the same
/// folder is refused), and an image, loop device or mount found at its place is removed only when
/// the image carries its label (`label`); anything else there is refused, never removed.
public final class ScratchFileSystem: Sendable {
    /// Where it is mounted.
    public let mountPoint: String
    /// The sparse image that backs it: `mountPoint.img`.
    public let image: String
    /// What it made so far, so that removing it (also after a failure half-way) undoes only that.
    private struct Parts {
        var folder = false
        var image = false
        var device: String?
        var mounted = false
        var isEmpty: Bool { !folder && !image && device == nil && !mounted }
    }
    private let parts = Mutex(Parts())
    /// The lock file's descriptor, held until removed (-1 after).
    private let lock: Mutex<Int32>

    /// The image's size: a ceiling, not a reservation (only written blocks take room).
    public static let imageBytes = 64 << 30
    /// Inodes: a million copies of a `--scale` run, the runner's files and room to spare.
    public static let inodes = 2_500_000
    /// The file system's label, by which the bench knows an image as its own.
    public static let label = "ferry-bench"

    /// The live file systems, and whether an interrupted bench has begun removing them.
    private struct Registry {
        var live: [ObjectIdentifier: ScratchFileSystem] = [:]
        var closed = false
    }
    /// Held while a file system is being made or removed, so that `removeAll` waits for that to
    /// be complete, and nothing is made after it.
    private static let registry = Mutex(Registry())

    /// Makes the image next to `path` (`path.img`), the file system on it, and mounts it at
    /// `path`, after removing what an earlier bench killed before its clean-up left there.
    /// - Throws: one line: another bench holds the folder, something not the bench's own is in
    ///   the way, or a command failed (no root, no loop devices, no `mkfs.ext4`).
    public init(at path: String) throws {
        mountPoint = try Self.resolved(path)
        image = mountPoint + ".img"
        lock = Mutex(try Self.takeLock(mountPoint + ".lock"))
        do {
            try Self.registry.withLock { registry in
                guard !registry.closed else { throw FerryError("scratch file system not made: the bench is being interrupted") }
                do {
                    try make()
                } catch {
                    removeParts()
                    throw error
                }
                registry.live[ObjectIdentifier(self)] = self
            }
        } catch {
            releaseLock()
            throw FerryError("cannot make its file system at \(mountPoint): \(error) (--host-file-system measures without it)")
        }
    }

    /// Removes what a killed bench left here, then makes the image, the file system, the loop
    /// device and the mount.
    private func make() throws {
        try Self.reclaim(mountPoint: mountPoint, image: image)
        if mkdir(mountPoint, 0o755) == 0 {
            parts.withLock { $0.folder = true }
        } else if errno != EEXIST {
            throw SystemError(call: "mkdir", code: errno, context: mountPoint)
        }
        let descriptor = open(image, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw SystemError(call: "open", code: errno, context: image) }
        parts.withLock { $0.image = true }
        let sized = ftruncate(descriptor, off_t(Self.imageBytes)) == 0 ? 0 : errno
        close(descriptor)
        if sized != 0 { throw SystemError(call: "ftruncate", code: sized, context: image) }
        // Inode tables and journal are left to be zeroed lazily, and `noinit_itable` stops the
        // kernel from doing it in the background while the bench measures.
        try Tool.run(["mkfs.ext4", "-q", "-F", "-L", Self.label, "-m", "0", "-N", String(Self.inodes),
                      "-E", "lazy_itable_init=1,lazy_journal_init=1", image], timeout: 120)
        // Direct I/O: the image's blocks are not cached a second time in the host's page cache.
        let device = try Tool.run(["losetup", "--find", "--show", "--direct-io=on", image])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        parts.withLock { $0.device = device }
        try Tool.run(["mount", "-o", "noinit_itable", device, mountPoint])
        parts.withLock { $0.mounted = true }
    }

    deinit {
        assert(parts.withLock { $0.isEmpty } && lock.withLock { $0 } < 0, "ScratchFileSystem at \(mountPoint) leaked: remove() was never called")
    }

    /// Unmounts it, frees its loop device, deletes its image and lets the folder go. Safe to call
    /// twice. Under the registry's lock: an interrupted bench's `removeAll` on the signal thread
    /// waits for a removal the main thread began, rather than find nothing left to do and end the
    /// process halfway through it.
    public func remove() {
        Self.registry.withLock { registry in
            registry.live[ObjectIdentifier(self)] = nil
            removeParts()
        }
        releaseLock()
    }

    /// Removes every scratch file system (an interrupted bench, after its children were
    /// stopped), after one being made or removed is complete; none is made afterwards.
    public static func removeAll() {
        registry.withLock { registry in
            registry.closed = true
            for fileSystem in registry.live.values { fileSystem.removeParts() }
            registry.live = [:]
        }
    }

    /// What it made, in reverse, and nothing else.
    private func removeParts() {
        let made = parts.withLock { parts in
            defer { parts = Parts() }
            return parts
        }
        if made.mounted { try? Self.unmount(mountPoint) }
        if let device = made.device { _ = try? Tool.run(["losetup", "-d", device]) }
        if made.image { unlink(image) }
        if made.folder { rmdir(mountPoint) }
    }

    private func releaseLock() {
        let descriptor = lock.withLock { descriptor in
            defer { descriptor = -1 }
            return descriptor
        }
        if descriptor >= 0 { close(descriptor) }  // closing releases the flock
    }

    /// One mount of this mount namespace, as `/proc/self/mountinfo` gives it (the kernel's octal
    /// escapes of blanks and backslashes decoded).
    public struct Mount: Equatable, Sendable {
        /// Where it is mounted (field 5).
        public let point: String
        /// Its file system type and source (the two fields after ` - `): `ext4`, `/dev/loop0`.
        public let type: String
        public let source: String
    }

    /// Every mount of this mount namespace.
    public static func mounts() -> [Mount] {
        guard let table = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return [] }
        return table.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count > 4, let dash = fields.firstIndex(of: "-"), dash + 2 < fields.count else { return nil }
            return Mount(point: unescaped(fields[4]), type: fields[dash + 1], source: unescaped(fields[dash + 2]))
        }
    }

    /// Every mount point of this mount namespace.
    public static func mountPoints() -> [String] {
        mounts().map(\.point)
    }

    /// The loop devices over `image` (`losetup -j`).
    /// - Throws: when `losetup` fails.
    public static func loopDevices(over image: String) throws -> [String] {
        try Tool.run(["losetup", "-j", image]).split(separator: "\n").compactMap { $0.split(separator: ":").first.map(String.init) }
    }

    /// Unmounts `path`; lazily when something still holds it.
    private static func unmount(_ path: String) throws {
        if (try? Tool.run(["umount", path])) == nil { try Tool.run(["umount", "-l", path]) }
    }

    /// Removes what a bench killed before its clean-up left at `path` (tests' clean-up): only
    /// what carries the bench's label.
    public static func removeLeftovers(at path: String) {
        guard let mountPoint = try? resolved(path) else { return }
        try? reclaim(mountPoint: mountPoint, image: mountPoint + ".img")
        rmdir(mountPoint)
    }

    /// `path` with its folder absolute and without symbolic links, as the kernel's mount table
    /// names it; `path` itself must not be a symbolic link (the bench would mount over, and
    /// remove, whatever it points to).
    private static func resolved(_ path: String) throws -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let folder = url.deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let resolvedFolder = URL(fileURLWithPath: folder).resolvingSymlinksInPath().path
        let full = (resolvedFolder == "/" ? "" : resolvedFolder) + "/" + url.lastPathComponent
        var info = stat()
        if lstat(full, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK {
            throw FerryError("\(full) is a symbolic link: the bench mounts its file system there; pass another --work-dir")
        }
        return full
    }

    /// Takes the lock file at `path`, or says that another bench holds it.
    private static func takeLock(_ path: String) throws -> Int32 {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw SystemError(call: "open", code: errno, context: path) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(descriptor)
            if code == EWOULDBLOCK { throw FerryError("\(path): another bench is using this --work-dir; give each its own") }
            throw SystemError(call: "flock", code: code, context: path)
        }
        return descriptor
    }

    /// What a killed bench left, removed only where it is the bench's own: the mount at
    /// `mountPoint` when its device is a loop device over `image`, the loop devices over
    /// `image`, and `image`, when it carries the label. Anything else in the way is refused.
    private static func reclaim(mountPoint: String, image: String) throws {
        var info = stat()
        let imageExists = lstat(image, &info) == 0
        let own = isOwnImage(image)
        if imageExists && !own {
            throw FerryError("\(image) is not an image this bench made; move it away or pass another --work-dir")
        }
        if let mounted = mounts().first(where: { $0.point == mountPoint }) {
            guard own, loopBackingFile(of: mounted.source) == image else {
                throw FerryError("\(mountPoint) is a mount point the bench did not make (\(mounted.source)); pass another --work-dir")
            }
            try unmount(mountPoint)
        }
        if own {
            for device in (try? loopDevices(over: image)) ?? [] { _ = try? Tool.run(["losetup", "-d", device]) }
            unlink(image)
        }
        if lstat(mountPoint, &info) == 0 {
            let isFolder = (info.st_mode & S_IFMT) == S_IFDIR
            let entries = isFolder ? (try? FileManager.default.contentsOfDirectory(atPath: mountPoint)) : nil
            guard entries?.isEmpty == true else {
                throw FerryError("\(mountPoint) holds files the bench did not put there; move them away or pass another --work-dir")
            }
        }
    }

    /// True when `path` is a regular file holding an ext4 superblock with the bench's label.
    static func isOwnImage(_ path: String) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        // The superblock starts at byte 1024: its magic 0xEF53 at offset 56, its label (16 bytes,
        // NUL-padded) at offset 120.
        var superblock = [UInt8](repeating: 0, count: 136)
        guard superblock.withUnsafeMutableBytes({ pread(descriptor, $0.baseAddress, $0.count, 1024) }) == 136,
            superblock[56] == 0x53, superblock[57] == 0xEF
        else { return false }
        let name = superblock[120..<136].prefix { $0 != 0 }
        return Array(name) == Array(label.utf8)
    }

    /// The file behind loop device `device` (`/sys/block/loopN/loop/backing_file`); nil for
    /// anything else.
    private static func loopBackingFile(of device: String) -> String? {
        guard device.hasPrefix("/dev/loop") else { return nil }
        let name = device.dropFirst("/dev/".count)
        return (try? String(contentsOfFile: "/sys/block/\(name)/loop/backing_file", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A mountinfo field with its `\ooo` escapes (space, tab, newline, backslash) decoded.
    static func unescaped(_ field: String) -> String {
        var bytes: [UInt8] = []
        let raw = Array(field.utf8)
        var index = 0
        while index < raw.count {
            if raw[index] == UInt8(ascii: "\\"), index + 3 < raw.count,
                let value = UInt8(String(decoding: raw[(index + 1)...(index + 3)], as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(raw[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
