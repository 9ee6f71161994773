import FerryCore
@testable import FerryRunner
import FerryTestSupport
import Foundation
import Glibc
import Testing

@Suite struct CopyVerifierTests {
    let folder: TemporaryDirectory
    let standard: String

    init() throws {
        folder = try TemporaryDirectory("ferry-verify")
        standard = try folder.write("standard.txt", bytes: Array("the standard\n".utf8))
        try FileManager.default.createDirectory(atPath: folder.file("store"), withIntermediateDirectories: true)
    }

    private func write(_ name: String, _ text: String = "the standard\n") throws {
        try folder.write("store/\(name)", bytes: Array(text.utf8))
    }

    @Test func aFixtureNeverMakesUpForAMissingCopy() throws {
        defer { folder.remove() }
        // The false PASS this guards against: repetitions 101, a program that writes 100 copies,
        // and its CompareStandard.txt fixture (identical to the standard) in the same folder.
        var verifier = CopyVerifier(location: CopyLocation(folder: folder.file("store"), fixtures: [folder.file("store/CompareStandard.txt")]))
        verifier.snapshot()
        try write("CompareStandard.txt")
        for n in 1...100 { try write("receive\(n).txt") }
        let result = try verifier.verify(standard: standard, expected: 101)
        #expect(result.identical == 100 && result.missing == 1 && result.incorrect == 1)
        #expect(result.extraFiles.isEmpty)
    }

    @Test func filesBeyondTheExpectedCopiesAreExtraNotCopies() throws {
        defer { folder.remove() }
        var verifier = CopyVerifier(store: folder.file("store"))
        verifier.snapshot()
        for n in 1...12 { try write("copy\(n).txt") }
        let result = try verifier.verify(standard: standard, expected: 10)
        #expect(result.identical == 10 && result.incorrect == 0)
        // Natural order: copy2 before copy10, so copy11 and copy12 are the extra ones.
        #expect(result.extraFiles == ["copy11.txt", "copy12.txt"])
    }

    @Test func aPatternNamesEachCopyExactly() throws {
        defer { folder.remove() }
        var verifier = CopyVerifier(location: CopyLocation(folder: folder.file("store"), namePattern: "receive{n}.txt"))
        verifier.snapshot()
        try write("receive1.txt")
        try write("receive2.txt", "not the standard\n")
        try write("receive4.txt")  // beyond 3: extra, and does not stand in for receive3.txt
        try write("notes.txt")
        let result = try verifier.verify(standard: standard, expected: 3)
        #expect(result.identical == 1 && result.differing == 1 && result.missing == 1)
        #expect(result.differingFiles == ["receive2.txt"])
        #expect(result.extraFiles == ["notes.txt", "receive4.txt"])
        #expect(result.incorrectCopies == [2, 3])
    }

    @Test func withoutAPatternTheMissingCopiesAreTheLast() throws {
        defer { folder.remove() }
        var verifier = CopyVerifier(store: folder.file("store"))
        verifier.snapshot()
        try write("copy1.txt")
        try write("copy2.txt", "garbled\n")
        try write("copy3.txt")
        let result = try verifier.verify(standard: standard, expected: 5)
        #expect(result.incorrectCopies == [2, 4, 5])
        #expect(result.incorrectCopies.count == result.incorrect)
    }

    @Test func aPatternFollowsTheCounterBase() throws {
        defer { folder.remove() }
        var verifier = CopyVerifier(location: CopyLocation(folder: folder.file("store"), namePattern: "sentfile_{n}.txt", counterBase: 0))
        verifier.snapshot()
        for n in 0..<3 { try write("sentfile_\(n).txt") }
        let result = try verifier.verify(standard: standard, expected: 3)
        #expect(result.identical == 3 && result.extraFiles.isEmpty)
    }

    @Test func copiesThatWereThereBeforeAreNotJudged() throws {
        defer { folder.remove() }
        try write("receive1.txt")
        var verifier = CopyVerifier(location: CopyLocation(folder: folder.file("store"), namePattern: "receive{n}.txt"))
        verifier.snapshot()
        let result = try verifier.verify(standard: standard, expected: 1)
        #expect(result.missing == 1 && result.identical == 0)
    }

    @Test func aStandardThatCannotBeReadIsAnErrorNotMissingCopies() throws {
        defer { folder.remove() }
        let verifier = CopyVerifier(store: folder.file("store"))
        #expect(throws: (any Error).self) { try verifier.verify(standard: folder.file("nowhere.txt"), expected: 3) }
    }

    @Test func naturalOrderComparesNumbersByValue() {
        let names = ["copy10.txt", "copy2.txt", "copy1.txt", "a", "copy02.txt", "b1"]
        #expect(names.sorted(by: NaturalOrder.precedes) == ["a", "b1", "copy1.txt", "copy2.txt", "copy02.txt", "copy10.txt"])
    }

    @Test func oneFileUnderTwoNamesIsOneCopy() throws {
        defer { folder.remove() }
        var verifier = CopyVerifier(location: CopyLocation(folder: folder.file("store"), namePattern: "receive{n}.txt"))
        verifier.snapshot()
        try write("receive1.txt")
        #expect(link(folder.file("store/receive1.txt"), folder.file("store/receive2.txt")) == 0)
        let result = try verifier.verify(standard: standard, expected: 2)
        #expect(result.identical == 1 && result.differing == 1)
        #expect(result.notes == ["receive2.txt is the same file as receive1.txt"])
    }

    /// By name, copies are judged block by block while the next blocks are prefetched: across
    /// the blocks' edges every copy is still judged once, in order, and a second name of a file
    /// in a later block is still the same file.
    @Test func byNameCopiesAcrossPrefetchBlocksAreEachJudgedOnceInOrder() throws {
        defer { folder.remove() }
        let block = CopyVerifier.prefetchBlock
        let expected = block * 3 + 7
        var verifier = CopyVerifier(location: CopyLocation(folder: folder.file("store"), namePattern: "receive{n}.txt"))
        verifier.snapshot()
        let missing: Set = [1, block, block + 1, expected]
        let differing: Set = [2, block * 2, block * 2 + 1]
        for n in 1...expected where !missing.contains(n) {
            try write("receive\(n).txt", differing.contains(n) ? "not the standard\n" : "the standard\n")
        }
        // Copy 3 under copy 2·block + 5's name too: that one is counted incorrect, with a note.
        try FileManager.default.removeItem(atPath: folder.file("store/receive\(block * 2 + 5).txt"))
        #expect(link(folder.file("store/receive3.txt"), folder.file("store/receive\(block * 2 + 5).txt")) == 0)
        let result = try verifier.verify(standard: standard, expected: expected)
        #expect(result.missing == missing.count && result.differing == differing.count + 1)
        #expect(result.identical == expected - missing.count - differing.count - 1)
        #expect(result.incorrectCopies == (missing.union(differing).union([block * 2 + 5])).sorted())
        #expect(result.differingFiles == differing.union([block * 2 + 5]).sorted().map { "receive\($0).txt" })
        #expect(result.notes == ["receive\(block * 2 + 5).txt is the same file as receive3.txt"])
    }

    /// By name, a symbolic link to the standard and a FIFO under copies' names are not copies:
    /// neither followed, nor waited on, by the verifier or by its prefetching.
    @Test func byNameALinkToTheStandardOrAFIFOIsNoCopy() throws {
        defer { folder.remove() }
        var verifier = CopyVerifier(location: CopyLocation(folder: folder.file("store"), namePattern: "receive{n}.txt"))
        verifier.snapshot()
        try write("receive1.txt")
        try FileManager.default.createSymbolicLink(atPath: folder.file("store/receive2.txt"), withDestinationPath: standard)
        #expect(mkfifo(folder.file("store/receive3.txt"), 0o600) == 0)
        let result = try verifier.verify(standard: standard, expected: 3)
        #expect(result.identical == 1 && result.missing == 2 && result.incorrectCopies == [2, 3])
    }

    @Test func identicalCopiesAreBoundedByTheBytesThatArrived() {
        var verification = Verification(identical: 5, differing: 0, missing: 0)
        verification.standardBytes = 1000
        let bounded = verification.bounded(byBytesArrived: 2_500, atPort: 9000)
        #expect(bounded.identical == 2 && bounded.missing == 3 && bounded.incorrect == 3)
        #expect(bounded.notes == ["only 2500 bytes arrived at port 9000: at most 2 of the 5 identical copies can have crossed the network, 3 counted missing"])
        #expect(verification.bounded(byBytesArrived: 6_000, atPort: 9000) == verification)
    }

    @Test func aCopyWhoseNameIsNotUTF8IsStillACopy() throws {
        defer { folder.remove() }
        var verifier = CopyVerifier(store: folder.file("store"))
        verifier.snapshot()
        // "r\xe9ceive1.txt" in Latin-1: not UTF-8.
        let name: [UInt8] = Array(folder.file("store/r").utf8) + [0xE9] + Array("ceive1.txt".utf8) + [0]
        let descriptor = name.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT | O_EXCL, 0o644) }
        }
        #expect(descriptor >= 0)
        let text = Array("the standard\n".utf8)
        #expect(Glibc.write(descriptor, text, text.count) == text.count)
        close(descriptor)
        let result = try verifier.verify(standard: standard, expected: 1)
        #expect(result.identical == 1 && result.missing == 0)
        #expect(verifier.newFiles() == ["r\u{FFFD}ceive1.txt"])
    }

    @Test func byNameANumberWithLeadingZerosOrOutOfRangeIsExtra() throws {
        defer { folder.remove() }
        var verifier = CopyVerifier(location: CopyLocation(folder: folder.file("store"), namePattern: "sample.{n}.txt"))
        verifier.snapshot()
        try write("sample.1.txt")
        try write("sample.02.txt")  // not copy 2
        try write("sample.0.txt")  // counter base 1: not a copy
        try write("sample.3.txt")
        try write("sample.3.txt.partial")
        let result = try verifier.verify(standard: standard, expected: 3)
        #expect(result.identical == 2 && result.missing == 1 && result.incorrectCopies == [2])
        #expect(result.extraFiles == ["sample.0.txt", "sample.02.txt", "sample.3.txt.partial"])
    }

    @Test func byNameMoreExtraFilesThanListedAreCounted() throws {
        defer { folder.remove() }
        var verifier = CopyVerifier(location: CopyLocation(folder: folder.file("store"), namePattern: "sample.{n}.txt"))
        verifier.snapshot()
        try write("sample.1.txt")
        for index in 0..<(CopyVerifier.listedExtraFiles + 5) { try write("other\(index)") }
        let result = try verifier.verify(standard: standard, expected: 1)
        #expect(result.identical == 1 && result.extraFiles.count == CopyVerifier.listedExtraFiles)
        #expect(result.notes == ["5 more extra files not listed"])
    }

    /// Many files (the removers share them out), a hidden one, subfolders, and a symbolic link,
    /// which goes while what it points to stays.
    @Test func aStoreIsRemovedWithEverythingInIt() throws {
        defer { folder.remove() }
        for n in 1...3000 { try write("sample.\(n).txt") }
        try write(".hidden")
        try FileManager.default.createDirectory(atPath: folder.file("store/sub/deeper"), withIntermediateDirectories: true)
        try folder.write("store/sub/deeper/file", bytes: [1])
        try FileManager.default.createSymbolicLink(atPath: folder.file("store/link"), withDestinationPath: standard)
        OpenFolder.removeTree(folder.file("store"))
        #expect(!FileManager.default.fileExists(atPath: folder.file("store")))
        #expect(FileManager.default.contents(atPath: standard) != nil)
    }

    /// Names are read in place, never past a record's end: the last record of each of `readdir`'s
    /// buffers ends near the buffer's end, so with several buffers full of short names a read of a
    /// whole `dirent` goes past it (it crashed the runner once). Under AddressSanitizer (`make
    /// sanitize`) the old code failed here: a heap-buffer-overflow, a read of 256 bytes past the
    /// buffer `opendir` allocated.
    @Test func everyNameOfAFolderOfManyBuffersIsReadWhole() throws {
        defer { folder.remove() }
        let names = (1...4000).map { "c\(String(repeating: "x", count: $0 % 7)).\($0)" }
        for name in names { try folder.write("store/\(name)", bytes: []) }
        guard let listing = OpenFolder(folder.file("store")) else {
            Issue.record("the store could not be opened")
            return
        }
        defer { listing.close() }
        var read: [String] = []
        listing.forEachRegularFile { read.append(String(decoding: $0.rawName, as: UTF8.self)) }
        #expect(read.count == names.count)
        #expect(Set(read) == Set(names))
    }
}
