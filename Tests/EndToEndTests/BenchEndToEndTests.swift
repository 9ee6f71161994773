import FerryCore
import FerryRunner
import FerryTestSupport
import Foundation
import Glibc
import Testing

extension NamespaceSuites {
    /// The built `bench`, with namespaces.
    @Suite struct BenchEndToEndTests {
        /// Interrupted mid-run, the bench stops the pair it measures and removes every namespace
        /// it made (its own pair and the run's), and says so.
        @Test func sigintMidScaleRunLeavesNothingBehind() throws {
            let folder = try TemporaryDirectory("ferry-bench-e2e")
            defer { folder.remove() }
            // The pair's store lies in the work folder: its path marks the bench's children.
            let marker = folder.file("work")
            let before = ProcessTable.namespaces()
            defer { ProcessTable.removeLeftovers(namespacesBefore: before, marker: marker) }
            let child = try ChildProcess(arguments: [
                BuiltProducts.path("bench"), "--scale", "--counts", "200000", "--rounds", "1", "--work-dir", marker,
            ], workingDirectory: repositoryRoot())
            defer { child.stop() }
            #expect(ProcessTable.eventually(60) { ProcessTable.pids(containing: marker).count >= 2 }, "the pair never started")
            #expect(ProcessTable.namespaces().subtracting(before).count >= 2)
            kill(child.pid, SIGINT)
            let end = child.wait(until: Date().addingTimeInterval(30))
            #expect(end == .exited(130))
            #expect(child.output.snapshot.contains { $0.text == "bench: interrupted by SIGINT: stopping children and removing namespaces" })
            #expect(ProcessTable.eventually { ProcessTable.pids(containing: marker).isEmpty })
            #expect(ProcessTable.namespaces().subtracting(before).isEmpty)
        }
    }
}
