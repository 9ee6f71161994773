@testable import FerryRunner
import FerryScenario
import FerryTestSupport
import Foundation
import Testing

/// Preparing a side's folder never writes or deletes outside it, whatever links the source holds.
@Suite struct SideWorkspaceTests {
    let folder: TemporaryDirectory

    init() throws {
        folder = try TemporaryDirectory("ferry-side")
        for path in ["submission", "outside", "case"] {
            try FileManager.default.createDirectory(atPath: folder.file(path), withIntermediateDirectories: true)
        }
        try folder.write("fixture.txt", bytes: Array("fixture".utf8))
    }

    private func prepare(_ spec: CommandSpec, store: StoreSpec? = nil) -> (checks: [Check], ready: Bool) {
        var side = SideWorkspace(side: .server, spec: spec, caseFolder: folder.file("case"))
        return side.prepare(
            spec, scenarioFolder: folder.path, values: [:], store: store, deadline: Date().addingTimeInterval(30), environment: [:])
    }

    @Test func staleCopiesAreRemovedOnlyInsideTheSidesFolder() throws {
        defer { folder.remove() }
        try folder.write("outside/receive1.txt", bytes: Array("keep me".utf8))
        try folder.write("submission/receive2.txt", bytes: Array("stale".utf8))
        try FileManager.default.createSymbolicLink(atPath: folder.file("submission/out"), withDestinationPath: folder.file("outside"))
        let spec = CommandSpec(command: ["true"], source: folder.file("submission"))
        #expect(prepare(spec, store: .pattern("out/receive{n}.txt")).ready)
        #expect(FileManager.default.fileExists(atPath: folder.file("outside/receive1.txt")))
        #expect(prepare(spec, store: .pattern("receive{n}.txt")).ready)
        #expect(!FileManager.default.fileExists(atPath: folder.file("case/server/receive2.txt")))
        #expect(FileManager.default.fileExists(atPath: folder.file("submission/receive2.txt")))
    }

    @Test func aFixtureIsNotCarriedOutThroughALink() throws {
        defer { folder.remove() }
        try FileManager.default.createSymbolicLink(atPath: folder.file("submission/data"), withDestinationPath: folder.file("outside"))
        let spec = CommandSpec(command: ["true"], source: folder.file("submission"), files: [("data/send.txt", folder.file("fixture.txt"))])
        let prepared = prepare(spec)
        #expect(!prepared.ready)
        #expect(prepared.checks.first?.detail == "server.files: data/send.txt: its folder leads out of \(folder.file("case/server")) through a symbolic link")
        #expect(!FileManager.default.fileExists(atPath: folder.file("outside/send.txt")))
    }
}

@Suite struct WorkFolderLockTests {
    @Test func aSecondRunnerOnTheSameWorkFolderIsRefused() throws {
        let folder = try TemporaryDirectory("ferry-lock")
        defer { folder.remove() }
        let first = try WorkFolderLock(folder.path)
        let error = #expect(throws: FerryRunError.self) { try WorkFolderLock(folder.path) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("another runner is using it"))
        first.release()
        let again = try WorkFolderLock(folder.path)
        again.release()
    }
}
