import FerryCore
import FerryTestSupport
import Testing

@Suite struct StreamingComparisonTests {
    static let standardBytes: [UInt8] = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }

    /// Feeds `copy` in `chunk`-byte pieces and returns the verdict, for the cached and the streamed standard.
    private func identical(_ copy: [UInt8], standard: [UInt8] = standardBytes, chunk: Int = 1000) throws -> [Bool] {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = try folder.write("standard", bytes: standard)
        var verdicts: [Bool] = []
        for cacheLimit in [Int.max, 0] {
            let file = try StandardFile(path: path, cacheLimit: cacheLimit, windowSize: 4096)
            defer { file.close() }
            var comparison = StreamingComparison(against: file)
            var offset = 0
            while offset < copy.count {
                let end = min(offset + chunk, copy.count)
                try copy[offset..<end].withUnsafeBytes { try comparison.consume($0) }
                offset = end
            }
            verdicts.append(comparison.isIdentical)
        }
        return verdicts
    }

    @Test func equalCopyIsIdentical() throws {
        #expect(try identical(Self.standardBytes) == [true, true])
        #expect(try identical(Self.standardBytes, chunk: 1) == [true, true])
        #expect(try identical(Self.standardBytes, chunk: 65536) == [true, true])
    }

    @Test func lastByteDiffers() throws {
        var copy = Self.standardBytes
        copy[copy.count - 1] ^= 1
        #expect(try identical(copy) == [false, false])
    }

    @Test func firstByteDiffers() throws {
        var copy = Self.standardBytes
        copy[0] ^= 0x80
        #expect(try identical(copy, chunk: 7) == [false, false])
    }

    @Test func shorterCopyDiffers() throws {
        #expect(try identical(Array(Self.standardBytes.dropLast())) == [false, false])
        #expect(try identical([]) == [false, false])
    }

    @Test func longerCopyDiffers() throws {
        #expect(try identical(Self.standardBytes + [0]) == [false, false])
    }

    @Test func emptyStandardMatchesOnlyEmptyCopy() throws {
        #expect(try identical([], standard: []) == [true, true])
        #expect(try identical([1], standard: []) == [false, false])
    }

    @Test func missingStandardIsAnError() {
        #expect(throws: SystemError(call: "open", code: 2, context: "/nonexistent/standard")) {
            _ = try StandardFile(path: "/nonexistent/standard")
        }
    }
}
