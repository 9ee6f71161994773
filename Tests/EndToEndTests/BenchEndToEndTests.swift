import FerryBench
import FerryCore
import FerryRunner
import FerryTestSupport
import Foundation
import Glibc
import Testing

extension NamespaceSuites {
    /// The built `bench`, with namespaces.
    @Suite struct BenchEndToEndTests {
        /// Interrupted mid-run, the bench stops the pair it measures, removes every namespace it
        /// made (its own pair and the run's) and its scratch file system (mount, loop device,
        /// image), and says so.
        @Test(.enabled(if: LoopDevices.unavailableReason == nil, Comment(rawValue: LoopDevices.skipComment)))
        func sigintMidScaleRunLeavesNothingBehind() throws {
            let folder = try TemporaryDirectory("ferry-bench-e2e")
            defer { folder.remove() }
            // The pair's store lies in the work folder: its path marks the bench's children.
            let marker = folder.file("work")
            let before = ProcessTable.namespaces()
            defer {
                ProcessTable.removeLeftovers(namespacesBefore: before, marker: marker)
                ScratchFileSystem.removeLeftovers(at: "\(marker)/fs")
            }
            let child = try ChildProcess(arguments: [
                BuiltProducts.path("bench"), "--scale", "--counts", "200000", "--rounds", "1", "--work-dir", marker,
            ], workingDirectory: repositoryRoot())
            defer { child.stop() }
            // On the bench's scratch file system, mounted at work/fs (mkfs and losetup name work/fs.img).
            #expect(ProcessTable.eventually(60) { ProcessTable.pids(containing: "\(marker)/fs/").count >= 2 }, "the pair never started")
            #expect(ProcessTable.namespaces().subtracting(before).count >= 2)
            kill(child.pid, SIGINT)
            let end = child.wait(until: Date().addingTimeInterval(30))
            #expect(end == .exited(130))
            #expect(child.output.snapshot.contains {
                $0.text == "bench: interrupted by SIGINT: stopping children, removing namespaces and the scratch file system"
            })
            #expect(ProcessTable.eventually { ProcessTable.pids(containing: marker).isEmpty })
            #expect(ProcessTable.namespaces().subtracting(before).isEmpty)
            #expect(!ScratchFileSystem.mountPoints().contains { $0.hasPrefix(marker) }, "the scratch file system is still mounted")
            #expect(try ScratchFileSystem.loopDevices(over: "\(marker)/fs.img").isEmpty, "a loop device still holds the image")
            #expect(!FileManager.default.fileExists(atPath: "\(marker)/fs.img"))
        }
    }
}
