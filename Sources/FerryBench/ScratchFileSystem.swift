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
public final class ScratchFileSystem: Sendable {
    /// Where it is mounted: the bench's work folder for this run.
    public let mountPoint: String
    /// The sparse image that backs it.
    public let image: String
    /// Its loop device, until removed.
    private let device = Mutex<String?>(nil)

    /// The image's size: a ceiling, not a reservation (only written blocks take room).
    public static let imageBytes = 64 << 30
    /// Inodes: a million copies of a `--scale` run, the runner's files and room to spare.
    public static let inodes = 2_500_000

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
    /// - Throws: what failed, with the command (no root, no loop devices, no `mkfs.ext4`).
    public init(at path: String) throws {
        // Made first: symbolic links are resolved only in paths that exist.
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        mountPoint = Self.resolved(path)
        image = mountPoint + ".img"
        try Self.registry.withLock { registry in
            guard !registry.closed else { throw FerryError("bench: scratch file system not made: the bench is being interrupted") }
            do {
                try make()
            } catch {
                removeParts()
                throw FerryError("bench: cannot make its scratch file system at \(mountPoint): \(error)")
            }
            registry.live[ObjectIdentifier(self)] = self
        }
    }

    /// Reclaims what a killed bench left here, then makes the image, the file system, the loop
    /// device and the mount.
    private func make() throws {
        Self.reclaim(mountPoint: mountPoint, image: image)
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: image, contents: nil), truncate(image, Self.imageBytes) == 0 else {
            throw FerryError("\(image): cannot make the image: \(String(cString: strerror(errno)))")
        }
        // Inode tables and journal are left to be zeroed lazily, and `noinit_itable` stops the
        // kernel from doing it in the background while the bench measures.
        try Tool.run(["mkfs.ext4", "-q", "-F", "-m", "0", "-N", String(Self.inodes),
                      "-E", "lazy_itable_init=1,lazy_journal_init=1", image], timeout: 120)
        // Direct I/O: the image's blocks are not cached a second time in the host's page cache.
        let device = try Tool.run(["losetup", "--find", "--show", "--direct-io=on", image])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        self.device.withLock { $0 = device }
        try Tool.run(["mount", "-o", "noinit_itable", device, mountPoint])
    }

    deinit {
        assert(device.withLock { $0 } == nil, "ScratchFileSystem at \(mountPoint) leaked: remove() was never called")
    }

    /// Unmounts it, frees its loop device and deletes its image. Safe to call twice. Under the
    /// registry's lock: an interrupted bench's `removeAll` on the signal thread waits for a
    /// removal the main thread began, rather than find nothing left to do and end the process
    /// halfway through it.
    public func remove() {
        Self.registry.withLock { registry in
            registry.live[ObjectIdentifier(self)] = nil
            removeParts()
        }
    }

    private func removeParts() {
        Self.unmount(mountPoint)
        if let device = device.withLock({ $0.take() }) { _ = try? Tool.run(["losetup", "-d", device]) }
        try? FileManager.default.removeItem(atPath: image)
        rmdir(mountPoint)
    }

    /// Removes every scratch file system (an interrupted bench, after its children were
    /// stopped), after one being made is complete; none is made afterwards.
    public static func removeAll() {
        let live = registry.withLock { registry in
            registry.closed = true
            defer { registry.live = [:] }
            return Array(registry.live.values)
        }
        for fileSystem in live { fileSystem.removeParts() }
    }

    /// Every mount point of this mount namespace (`/proc/self/mountinfo`, field 5).
    public static func mountPoints() -> [String] {
        guard let table = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return [] }
        return table.split(separator: "\n").compactMap { $0.split(separator: " ").dropFirst(4).first.map(String.init) }
    }

    /// Removes what a bench killed before its clean-up left at `path` (tests' clean-up).
    public static func removeLeftovers(at path: String) {
        let mountPoint = resolved(path)
        reclaim(mountPoint: mountPoint, image: mountPoint + ".img")
        rmdir(mountPoint)
    }

    /// `path` absolute and without symbolic links, as the kernel's mount table names it.
    private static func resolved(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
    }

    /// Unmounts `path` if it is mounted; lazily when something still holds it.
    private static func unmount(_ path: String) {
        guard mountPoints().contains(path) else { return }
        if (try? Tool.run(["umount", path])) == nil { _ = try? Tool.run(["umount", "-l", path]) }
    }

    /// What a bench killed before its clean-up left: the mount, the loop devices over `image`,
    /// the image.
    private static func reclaim(mountPoint: String, image: String) {
        unmount(mountPoint)
        let attached = (try? Tool.run(["losetup", "-j", image])) ?? ""
        for line in attached.split(separator: "\n") {
            if let device = line.split(separator: ":").first { _ = try? Tool.run(["losetup", "-d", String(device)]) }
        }
        try? FileManager.default.removeItem(atPath: image)
    }
}
