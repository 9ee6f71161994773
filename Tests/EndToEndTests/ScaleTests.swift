import FerryCore
import FerryRunner
import FerryTestSupport
import Foundation
import Testing

extension NamespaceSuites {
    /// `scenarios/default.yaml` with 300,000 transfers of 1 byte: every line judged as it arrives,
    /// nothing truncated, every copy verified. The pair is `make dist`'s release build (a debug pair
    /// would take many minutes); the runner is the one under test.
    @Suite(.enabled(if: ReleasePair.unavailableReason == nil, Comment(rawValue: ReleasePair.skipComment)))
    struct ScaleTests {
        static let transfers = 300_000

        @Test func threeHundredThousandTransfersAreJudgedWhole() throws {
            let folder = try TemporaryDirectory("ferry-scale")
            defer { folder.remove() }
            let file = try folder.write("one.bin", bytes: [0x2A])
            let report = folder.file("report.json")
            let child = try ChildProcess(
                arguments: [
                    BuiltProducts.path("runner"), "\(repositoryRoot())/scenarios/default.yaml",
                    "--set", "transfer.repetitions=\(Self.transfers)", "--set", "transfer.file=\(file)", "--set", "timeouts.case=1800s",
                    "--work-dir", folder.file("work"), "--json", report,
                ],
                environment: ["FERRY_BIN_DIR": DistBinaries.dist], workingDirectory: folder.path)
            let end = child.wait(until: Date().addingTimeInterval(2400)) ?? child.stop()
            let printed = child.output.snapshot.map(\.text).joined(separator: "\n")
            #expect(end == .exited(0), "\(printed)")
            let document = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
            let result = try #require((document["cases"] as? [[String: Any]])?.first)
            let failed = (result["checks"] as? [[String: Any]] ?? []).filter { $0["status"] as? String == "failed" }
            #expect(failed.isEmpty, "\(failed)")
            #expect((result["verified"] as? [String: Any])?["identical"] as? Int == Self.transfers)
            // A case that passed leaves no copies behind: 300,000 files removed by descriptor.
            #expect(!FileManager.default.fileExists(atPath: folder.file("work/tcp-100/received")))
            for side in ["server", "client"] {
                #expect((result[side] as? [String: Any])?["timed_transfers"] as? Int == Self.transfers)
                // The whole output is in the log, its last line too.
                let log = try String(contentsOfFile: folder.file("work/tcp-100/\(side).log"), encoding: .utf8)
                let timeLines = log.split(separator: "\n").filter { $0.contains("out | The time used in millisecond") }
                #expect(timeLines.count == Self.transfers)
                #expect(log.hasSuffix("out | I am done\n"))
            }
        }
    }
}

/// `make dist`'s server and client, the pair the scale test runs.
enum ReleasePair {
    static var unavailableReason: String? {
        for name in ["server", "client"] where !FileManager.default.isExecutableFile(atPath: "\(DistBinaries.dist)/\(name)") {
            return "\(DistBinaries.dist)/\(name) is missing: run make dist (make test does)"
        }
        return nil
    }

    static var skipComment: String { "needs make dist's release pair: \(unavailableReason ?? "")" }
}
