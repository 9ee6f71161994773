import FerryBench
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
    /// The file system type and the device of the mount at `path`, from `/proc/self/mountinfo`
    /// (after the ` - ` separator: type, source).
    static func mount(at path: String) -> (type: String, device: String)? {
        let table = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        for line in table.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count > 4, fields[4] == path, let dash = fields.firstIndex(of: "-"), dash + 2 < fields.count else { continue }
            return (fields[dash + 1], fields[dash + 2])
        }
        return nil
    }

    /// The loop devices backed by `image`.
    static func loopDevices(of image: String) throws -> [String] {
        try Tool.run(["losetup", "-j", image]).split(separator: "\n").compactMap { $0.split(separator: ":").first.map(String.init) }
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
        #expect(mounted.device.hasPrefix("/dev/loop"))
        // The journal's kernel thread is named after the device: loopN-8.
        let journals = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/fs/jbd2")) ?? []
        #expect(journals.contains("\(mounted.device.dropFirst("/dev/".count))-8"), "no journal: \(journals)")
        #expect(FileManager.default.createFile(atPath: "\(fileSystem.mountPoint)/copy", contents: Data("x".utf8)))
        #expect(try Self.loopDevices(of: fileSystem.image) == [mounted.device])

        fileSystem.remove()
        #expect(Self.mount(at: fileSystem.mountPoint) == nil)
        #expect(try Self.loopDevices(of: fileSystem.image).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: fileSystem.image))
        #expect(!FileManager.default.fileExists(atPath: fileSystem.mountPoint))
        fileSystem.remove()  // a second call does nothing
    }

    @Test func whatAKilledBenchLeftIsRemovedBeforeTheNextOneMountsItsOwn() throws {
        let folder = try TemporaryDirectory("ferry-scratch-fs")
        let path = folder.file("fs")
        defer {
            ScratchFileSystem.removeLeftovers(at: path)
            folder.remove()
        }
        // What a bench killed with SIGKILL leaves: the image, attached and mounted.
        let image = path + ".img"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: image, contents: nil) && truncate(image, 64 << 20) == 0)
        try Tool.run(["mkfs.ext4", "-q", "-F", image], timeout: 60)
        let stale = try Tool.run(["losetup", "--find", "--show", image]).trimmingCharacters(in: .whitespacesAndNewlines)
        try Tool.run(["mount", stale, path])
        #expect(FileManager.default.createFile(atPath: "\(path)/old-copy", contents: Data("x".utf8)))

        let fileSystem = try ScratchFileSystem(at: path)
        defer { fileSystem.remove() }
        let mounted = try #require(Self.mount(at: fileSystem.mountPoint))
        #expect(try Self.loopDevices(of: image) == [mounted.device], "the stale device is still attached")
        #expect(!FileManager.default.fileExists(atPath: "\(path)/old-copy"), "the old file system is still mounted")
        // Mounted once, not over the old one.
        #expect(ScratchFileSystem.mountPoints().filter { $0 == fileSystem.mountPoint }.count == 1)
    }
}
