import FerryCore
import Testing

@Suite struct TransferHeaderTests {
    @Test func roundTrip() throws {
        let header = TransferHeader(transfer: 7, size: 0x1_0000_0001, name: "sample.txt")
        let bytes = header.encoded()
        #expect(bytes.count == TransferHeader.fixedLength + 10)
        #expect(Array(bytes[0..<4]) == Array("FRY1".utf8))
        #expect(Array(bytes[12..<20]) == [0, 0, 0, 1, 0, 0, 0, 1])
        #expect(try TransferHeader.decode(bytes, maximumSize: .max) == header)
    }

    @Test func utf8NameRoundTrips() throws {
        let header = TransferHeader(transfer: 1, size: 0, name: "résumé ✓.txt")
        #expect(try TransferHeader.decode(header.encoded(), maximumSize: 0) == header)
    }

    private func refusal(of bytes: [UInt8], maximumSize: UInt64 = .max) -> HeaderRefusal? {
        do {
            _ = try TransferHeader.decode(bytes, maximumSize: maximumSize)
            return nil
        } catch {
            return error
        }
    }

    private func withName(_ name: [UInt8]) -> [UInt8] {
        var bytes = TransferHeader(transfer: 1, size: 5, name: "x").encoded()
        bytes.removeLast(1)
        bytes[20] = UInt8(name.count >> 8)
        bytes[21] = UInt8(name.count & 0xff)
        return bytes + name
    }

    @Test func wrongMagicIsRefused() {
        var bytes = TransferHeader(transfer: 1, size: 5, name: "a").encoded()
        bytes[0] = UInt8(ascii: "G")
        #expect(refusal(of: bytes) == .badMagic)
    }

    @Test func unknownVersionIsRefused() {
        var bytes = TransferHeader(transfer: 1, size: 5, name: "a").encoded()
        bytes[5] = 2
        #expect(refusal(of: bytes) == .unsupportedVersion)
    }

    @Test func badNamesAreRefused() {
        #expect(refusal(of: withName([])) == .emptyName)
        #expect(refusal(of: withName([UInt8](repeating: 0x61, count: 256))) == .nameTooLong)
        #expect(refusal(of: withName(Array("../etc/passwd".utf8))) == .nameHasSlash)
        #expect(refusal(of: withName(Array("a/b".utf8))) == .nameHasSlash)
        #expect(refusal(of: withName([0x61, 0, 0x62])) == .nameHasNUL)
        #expect(refusal(of: withName(Array("a\nb".utf8))) == .nameHasControlCharacter)
        #expect(refusal(of: withName([0x61, 0xff, 0xfe])) == .nameNotUTF8)
        #expect(refusal(of: withName(Array(".".utf8))) == .nameIsDotOrDotDot)
        #expect(refusal(of: withName(Array("..".utf8))) == .nameIsDotOrDotDot)
    }

    @Test func longestNameIsAccepted() throws {
        let name = String(repeating: "n", count: 255)
        #expect(try TransferHeader.decode(withName(Array(name.utf8)), maximumSize: .max).name == name)
    }

    @Test func sizeAboveMaximumIsRefused() {
        let bytes = TransferHeader(transfer: 1, size: 101, name: "a").encoded()
        #expect(refusal(of: bytes, maximumSize: 100) == .tooLarge)
        #expect(refusal(of: bytes, maximumSize: 101) == nil)
    }

    @Test func truncatedHeaderIsRefused() {
        let bytes = TransferHeader(transfer: 1, size: 1, name: "abc").encoded()
        #expect(refusal(of: Array(bytes.prefix(10))) == .truncated)
        #expect(refusal(of: Array(bytes.dropLast())) == .truncated)
    }

    @Test func everyRefusalHasItsOwnDescription() {
        let texts = Set(HeaderRefusal.allCases.map(\.description))
        #expect(texts.count == HeaderRefusal.allCases.count)
    }
}

@Suite struct VerdictTests {
    @Test func roundTrip() {
        let verdict = Verdict(status: .refused, detail: HeaderRefusal.nameHasSlash.rawValue, transfer: 9, received: 1234)
        let bytes = verdict.encoded()
        #expect(bytes.count == Verdict.length)
        #expect(bytes.withUnsafeBytes { Verdict.decode($0) } == verdict)
        #expect(verdict.summary == "refused: file name contains '/'")
    }

    @Test func garbageIsNotAVerdict() {
        var bytes = Verdict(status: .identical, transfer: 1, received: 1).encoded()
        bytes[0] = 0
        #expect(bytes.withUnsafeBytes { Verdict.decode($0) } == nil)
        var status = Verdict(status: .identical, transfer: 1, received: 1).encoded()
        status[6] = 99
        #expect(status.withUnsafeBytes { Verdict.decode($0) } == nil)
        #expect([UInt8](repeating: 0, count: 3).withUnsafeBytes { Verdict.decode($0) } == nil)
    }
}
