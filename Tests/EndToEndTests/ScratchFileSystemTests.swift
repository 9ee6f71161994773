@testable import FerryBench
import FerryRunner
import FerryTestSupport
import Foundation
import Glibc
import Testing

/// Whether this machine can make loop-device file systems.
enum LoopDevices {
    /// Why not, or nil when it can.
    static let unavailableReason: String? = {
        if geteuid() != 0 { return "not root" }
        for tool in ["mkfs.ext4", "losetup", "mount", "umount"] where ChildProcess.locate(tool) == nil { return "no \(tool)" }
        if !FileManager.default.fileExists(atPath: "/dev/loop-control") { return "no /dev/loop-control" }
        return nil
    }()
    static var skipComment: String { "needs root and loop devices: \(unavailableReason ?? "")" }
}

/// The bench's own file system: a fresh ext4 with a journal on a loop device, gone without a
/// trace when removed, and made again over what a killed bench left.
@Suite(.serialized, .enabled(if: LoopDevices.unavailableReason == nil, Comment(rawValue: LoopDevices.skipComment)))
struct ScratchFileSystemTests {
    /// The mount at `path`, if any.
    static func mount(at path: String) -> ScratchFileSystem.Mount? {
        ScratchFileSystem.mounts().first { $0.point == path }
    }

    @Test func aFreshJournaledExt4IsMountedAndNothingIsLeftWhenRemoved() throws {
        let folder = try TemporaryDirectory("ferry-scratch-fs")
        defer {
            ScratchFileSystem.removeLeftovers(at: folder.file("fs"))
            folder.remove()
        }
        let fileSystem = try ScratchFileSystem(at: folder.file("fs"))
        let mounted = try #require(Self.mount(at: fileSystem.mountPoint))
        #expect(mounted.type == "ext4")
        #expect(mounted.source.hasPrefix("/dev/loop"))
        // The journal's kernel thread is named after the device: loopN-8.
        let journals = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/fs/jbd2")) ?? []
        #expect(journals.contains("\(mounted.source.dropFirst("/dev/".count))-8"), "no journal: \(journals)")
        #expect(FileManager.default.createFile(atPath: "\(fileSystem.mountPoint)/copy", contents: Data("x".utf8)))
        #expect(try ScratchFileSystem.loopDevices(over: fileSystem.image) == [mounted.source])

        fileSystem.remove()
        #expect(Self.mount(at: fileSystem.mountPoint) == nil)
        #expect(try ScratchFileSystem.loopDevices(over: fileSystem.image).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: fileSystem.image))
        #expect(!FileManager.default.fileExists(atPath: fileSystem.mountPoint))
        fileSystem.remove()  // a second call does nothing
    }

    /// What a bench killed with SIGKILL leaves at `path`: its labelled image, attached and mounted.
    private static func leaveKilledBench(at path: String, label: String = ScratchFileSystem.label) throws -> String {
        let image = path + ".img"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: image, contents: nil) && truncate(image, 64 << 20) == 0)
        try Tool.run(["mkfs.ext4", "-q", "-F", "-L", label, image], timeout: 60)
        let device = try Tool.run(["losetup", "--find", "--show", image]).trimmingCharacters(in: .whitespacesAndNewlines)
        try Tool.run(["mount", device, path])
        return device
    }

    @Test func whatAKilledBenchLeftIsRemovedBeforeTheNextOneMountsItsOwn() throws {
        let folder = try TemporaryDirectory("ferry-scratch-fs")
        let path = folder.file("fs")
        defer {
            ScratchFileSystem.removeLeftovers(at: path)
            folder.remove()
        }
        _ = try Self.leaveKilledBench(at: path)
        #expect(FileManager.default.createFile(atPath: "\(path)/old-copy", contents: Data("x".utf8)))

        let fileSystem = try ScratchFileSystem(at: path)
        defer { fileSystem.remove() }
        let mounted = try #require(Self.mount(at: fileSystem.mountPoint))
        #expect(try ScratchFileSystem.loopDevices(over: fileSystem.image) == [mounted.source], "the stale device is still attached")
        #expect(!FileManager.default.fileExists(atPath: "\(path)/old-copy"), "the old file system is still mounted")
        // Mounted once, not over the old one.
        #expect(ScratchFileSystem.mountPoints().filter { $0 == fileSystem.mountPoint }.count == 1)
    }

    /// Whatever is at the bench's place and is not its own is refused with one line and left as
    /// it was: a mount, an image without the bench's label, files, a symbolic link, a bench
    /// already there.
    @Test func whatIsNotTheBenchsOwnIsRefusedAndLeftAlone() throws {
        let folder = try TemporaryDirectory("ferry-scratch-fs")
        defer { folder.remove() }
        let refusal = { (path: String) -> String in
            do {
                let fileSystem = try ScratchFileSystem(at: path)
                fileSystem.remove()
                return "made"
            } catch {
                return "\(error)"
            }
        }
        let suffix = " (--host-file-system measures without it)"

        // A mount of someone else's (a tmpfs).
        let mounted = folder.file("a/fs")
        try FileManager.default.createDirectory(atPath: mounted, withIntermediateDirectories: true)
        try Tool.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mounted])
        defer { _ = try? Tool.run(["umount", mounted]) }
        #expect(refusal(mounted) == "cannot make its file system at \(mounted): \(mounted) is a mount point the bench did not make (tmpfs); pass another --work-dir" + suffix)
        #expect(Self.mount(at: mounted)?.type == "tmpfs")

        // An image another program made, also when attached and mounted.
        let foreign = folder.file("b/fs")
        let device = try Self.leaveKilledBench(at: foreign, label: "someone-else")
        defer {
            _ = try? Tool.run(["umount", foreign])
            _ = try? Tool.run(["losetup", "-d", device])
        }
        #expect(refusal(foreign) == "cannot make its file system at \(foreign): \(foreign).img is not an image this bench made; move it away or pass another --work-dir" + suffix)
        #expect(Self.mount(at: foreign)?.source == device)
        #expect(FileManager.default.fileExists(atPath: foreign + ".img"))

        // Files in the folder.
        let full = folder.file("c/fs")
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: full + "/notes.txt", contents: Data("mine".utf8)))
        #expect(refusal(full) == "cannot make its file system at \(full): \(full) holds files the bench did not put there; move them away or pass another --work-dir" + suffix)
        #expect(FileManager.default.fileExists(atPath: full + "/notes.txt"))

        // A symbolic link.
        let link = folder.file("d/fs")
        try FileManager.default.createDirectory(atPath: folder.file("d"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: folder.file("c"))
        #expect(refusal(link) == "\(link) is a symbolic link: the bench mounts its file system there; pass another --work-dir")

        // A bench already there.
        let busy = folder.file("e/fs")
        let first = try ScratchFileSystem(at: busy)
        defer { first.remove() }
        #expect(refusal(busy) == "\(busy).lock: another bench is using this --work-dir; give each its own")
        #expect(Self.mount(at: first.mountPoint) != nil)
    }

    /// The mount table writes a blank as `\040`: a work folder with one is still found there.
    @Test func aFolderWithABlankIsFoundInTheMountTable() throws {
        #expect(ScratchFileSystem.unescaped("/tmp/my\\040bench/fs") == "/tmp/my bench/fs")
        #expect(ScratchFileSystem.unescaped("/a\\134b\\011c") == "/a\\b\tc")
        #expect(ScratchFileSystem.unescaped("/plain\\04") == "/plain\\04")
        let folder = try TemporaryDirectory("ferry scratch fs")
        defer { folder.remove() }
        let fileSystem = try ScratchFileSystem(at: folder.file("fs"))
        #expect(ScratchFileSystem.mountPoints().contains(fileSystem.mountPoint))
        fileSystem.remove()
        #expect(!ScratchFileSystem.mountPoints().contains(fileSystem.mountPoint))
        #expect(try ScratchFileSystem.loopDevices(over: fileSystem.image).isEmpty)
    }
}
