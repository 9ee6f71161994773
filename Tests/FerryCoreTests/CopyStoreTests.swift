import FerryCore
import FerryTestSupport
import Foundation
import Testing

@Suite struct CopyStoreTests {
    @Test func namesComeFromTheStandardFile() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try CopyStore(directory: folder.path, standardName: "sample.txt")
        #expect(store.copyName(1) == "sample.1.txt")
        #expect(store.partialName(12) == "sample.12.txt.partial")
        let plain = try CopyStore(directory: folder.path, standardName: "README")
        #expect(plain.copyName(3) == "README.3")
        let hidden = try CopyStore(directory: folder.path, standardName: ".profile")
        #expect(hidden.copyName(2) == ".profile.2")
    }

    /// Unnamed arriving files (`O_TMPFILE`, linked when done) and, where a file system lacks
    /// them, hidden `.incoming` names renamed when done: the same names in the end, nothing else.
    @Test(arguments: [true, false])
    func completeAndPartialCopiesGetTheirNames(unnamedFiles: Bool) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try CopyStore(directory: folder.file("store/deep"), standardName: "sample.txt", unnamedFiles: unnamedFiles)
        for (n, disposition) in [(1, CopyStore.Disposition.complete), (2, .partial), (3, .discard)] {
            _ = try store.receiving(n) { file in
                try [UInt8]("hello".utf8).withUnsafeBytes { try file.write($0) }
                // While it arrives, the copy has no name (or only its hidden incoming one).
                let visible = try FileManager.default.contentsOfDirectory(atPath: folder.file("store/deep")).filter { $0.contains(".\(n).") }
                #expect(visible == (unnamedFiles ? [] : [".sample.\(n).txt.incoming"]))
                return disposition
            }
        }
        #expect(try String(contentsOfFile: folder.file("store/deep/sample.1.txt"), encoding: .utf8) == "hello")
        struct Broke: Error {}
        #expect(throws: Broke.self) { _ = try store.receiving(4) { _ in throw Broke() } }
        // Nothing of copies 3 and 4 stays, not even the hidden incoming file.
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.file("store/deep")).sorted()
        #expect(names == ["sample.1.txt", "sample.2.txt.partial"])
    }

    /// The file `prepareNext` makes ahead is the one the next copy is written to (no second file
    /// is opened for it), with the copy's own name in errors; one no copy took vanishes on `close`.
    @Test func theFileMadeAheadTakesTheNextCopyAndAnUnusedOneLeavesNothing() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try CopyStore(directory: folder.path, standardName: "sample.txt")
        defer { store.close() }
        // Only descriptors of files in the folder: other tests open and close their own meanwhile.
        let openFiles = {
            ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).filter {
                (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)"))?.hasPrefix(folder.path + "/") == true
            }.count
        }
        let before = openFiles()
        store.prepareNext()
        #expect(openFiles() == before + 1)
        store.prepareNext()  // one at a time
        #expect(openFiles() == before + 1)
        var label = ""
        let stored = try store.receiving(1) { file in
            #expect(openFiles() == before + 1, "a second file was opened for the copy")
            label = file.path
            try [UInt8]("hello".utf8).withUnsafeBytes { try file.write($0) }
            return .complete
        }
        #expect(stored == folder.file("sample.1.txt"))
        #expect(label == folder.file("sample.1.txt") + " (arriving)")
        #expect(try String(contentsOfFile: folder.file("sample.1.txt"), encoding: .utf8) == "hello")
        #expect(openFiles() == before)
        store.prepareNext()
        store.close()
        #expect(openFiles() == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["sample.1.txt"])
    }

    @Test func earlierCopiesStopTheServerFromStarting() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        try folder.write("sample.3.txt", bytes: [1])
        let store = try CopyStore(directory: folder.path, standardName: "sample.txt")
        #expect(throws: FerryError.self) { try store.checkFree(count: 3) }
        try store.checkFree(count: 2)
        try folder.write("sample.1.txt.partial", bytes: [1])
        #expect(throws: FerryError.self) { try store.checkFree(count: 2) }
    }

    @Test func unrelatedFilesAreLeftAlone() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        for name in ["sample.txt", "sample.01.txt", "sample.x.txt", "other.1.txt", "sample.1.md"] {
            try folder.write(name, bytes: [1])
        }
        try CopyStore(directory: folder.path, standardName: "sample.txt").checkFree(count: 100)
    }

    @Test(arguments: [true, false])
    func anExistingFileIsNeverReplaced(unnamedFiles: Bool) throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let store = try CopyStore(directory: folder.path, standardName: "sample.txt", unnamedFiles: unnamedFiles)
        try folder.write("sample.1.txt", bytes: [42])
        #expect(throws: SystemError.self) { _ = try store.receiving(1) { _ in .complete } }
        #expect(FileManager.default.contents(atPath: folder.file("sample.1.txt")) == Data([42]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["sample.1.txt"])
    }

    @Test func unwritableStoreIsRefused() throws {
        #expect(throws: (any Error).self) { _ = try CopyStore(directory: "/proc/ferry-store", standardName: "a") }
    }
}
