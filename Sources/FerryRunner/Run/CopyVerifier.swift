import FerryCore
import Foundation
import Glibc

/// The runner's own check of the copies a server stored.
public struct Verification: Codable, Equatable, Sendable {
    public var identical: Int
    public var differing: Int
    public var missing: Int
    /// The differing copies' names, the first `listedDifferingFiles` of them.
    public var differingFiles: [String]
    /// New files beyond the expected copies: reported, never counted as copies.
    public var extraFiles: [String]
    /// Why the copies could not be verified at all (the standard cannot be read); nil when they were.
    public var problem: String?
    /// What else the verification found: copies that are one file under two names, identical
    /// copies that cannot have crossed the network.
    public var notes: [String] = []
    /// The standard file's size in bytes.
    public var standardBytes: UInt64 = 0
    /// The transfers (1-based, in copy order) whose copy differs or is missing, as far as the
    /// copies tell; for charts. Empty when nothing was verified.
    public var incorrectCopies: [Int] = []

    enum CodingKeys: String, CodingKey { case identical, differing, missing, extra, problem, notes }

    public init(identical: Int, differing: Int, missing: Int, differingFiles: [String] = [], extraFiles: [String] = [], problem: String? = nil) {
        self.identical = identical
        self.differing = differing
        self.missing = missing
        self.differingFiles = differingFiles
        self.extraFiles = extraFiles
        self.problem = problem
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        identical = try container.decode(Int.self, forKey: .identical)
        differing = try container.decode(Int.self, forKey: .differing)
        missing = try container.decode(Int.self, forKey: .missing)
        extraFiles = try container.decodeIfPresent([String].self, forKey: .extra) ?? []
        problem = try container.decodeIfPresent(String.self, forKey: .problem)
        notes = try container.decodeIfPresent([String].self, forKey: .notes) ?? []
        differingFiles = []
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(identical, forKey: .identical)
        try container.encode(differing, forKey: .differing)
        try container.encode(missing, forKey: .missing)
        try container.encode(extraFiles, forKey: .extra)
        try container.encode(problem, forKey: .problem)
        try container.encode(notes, forKey: .notes)
    }

    /// The verification with no more identical copies than `bytes` arrived at the server's port
    /// can hold: the others are counted missing, since they cannot have crossed the network.
    public func bounded(byBytesArrived bytes: UInt64, atPort port: Int) -> Verification {
        guard standardBytes > 0 else { return self }
        let possible = Int(min(bytes / standardBytes, UInt64(identical)))
        guard possible < identical else { return self }
        var result = self
        result.notes.append(
            "only \(bytes) bytes arrived at port \(port): at most \(possible) of the \(identical) identical copies can have crossed "
                + "the network, \(identical - possible) counted missing")
        result.missing += identical - possible
        result.identical = possible
        return result
    }

    /// The most differing copies' names kept: the reports quote the first five.
    static let listedDifferingFiles = 100

    /// Copies that are not identical, counting missing ones.
    public var incorrect: Int { differing + missing }

    /// Counts copy `n` (1-based): identical, or differing (`name`, and why beside it in `note`);
    /// nil `name` for a copy that is missing.
    mutating func count(copy n: Int, identical: Bool, name: String?, note: String? = nil) {
        if identical {
            self.identical += 1
            return
        }
        incorrectCopies.append(n)
        guard let name else { return }
        differing += 1
        if differingFiles.count < Self.listedDifferingFiles { differingFiles.append(name) }
        if let note { notes.append(note) }
    }

    /// After the `listed` copies were counted, of `expected`: the rest are missing. Without a
    /// name pattern copies are numbered by name order, so the missing ones are the last.
    mutating func finish(listed: Int, expected: Int) {
        missing = max(0, expected - identical - differing)
        incorrectCopies += (listed..<max(listed, expected)).map { $0 + 1 }
    }

    /// Nothing verified: every copy missing, for `reason`.
    public static func unverified(_ expected: Int, because reason: String) -> Verification {
        Verification(identical: 0, differing: 0, missing: expected, problem: reason)
    }
}

/// Where the copies are and what is not a copy.
public struct CopyLocation: Sendable {
    /// Absolute folder the copies appear in.
    public var folder: String
    /// A file name pattern with `{n}` (`receive{n}.txt`); nil: every new file in `folder` is a copy.
    public var namePattern: String?
    /// The number the program gives its first copy (1, or 0 with `counter_base: 0`).
    public var counterBase: Int
    /// Absolute paths of fixtures (`files`), never judged as copies.
    public var fixtures: Set<String>

    public init(folder: String, namePattern: String? = nil, counterBase: Int = 1, fixtures: Set<String> = []) {
        self.folder = folder
        self.namePattern = namePattern
        self.counterBase = counterBase
        self.fixtures = fixtures
    }

    /// The name of copy `n` (1-based) under a pattern: with one `{n}`, exactly
    /// `rawName(ofCopy:parts:)`, as copies are looked up by name.
    func name(ofCopy n: Int) -> String? {
        if let parts = patternParts { return String(decoding: rawName(ofCopy: n, parts: parts), as: UTF8.self) }
        return namePattern?.replacingOccurrences(of: "{n}", with: String(n - 1 + counterBase))
    }

    /// The name of copy `n` (1-based) from a pattern's parts around its one `{n}`: what
    /// `name(ofCopy:)` gives, without Foundation's string search for each of a million copies.
    func rawName(ofCopy n: Int, parts: (prefix: [UInt8], suffix: [UInt8])) -> [UInt8] {
        parts.prefix + String(n - 1 + counterBase).utf8 + parts.suffix
    }

    /// A pattern's bytes before and after its `{n}`, when it holds exactly one.
    var patternParts: (prefix: [UInt8], suffix: [UInt8])? {
        guard let parts = namePattern?.components(separatedBy: "{n}"), parts.count == 2 else { return nil }
        return (Array(parts[0].utf8), Array(parts[1].utf8))
    }

    /// Which of copies 1...expected `raw` names under a pattern with one `{n}`; nil for any
    /// other name (a number with leading zeros or out of range too).
    func copy(named raw: [UInt8], parts: (prefix: [UInt8], suffix: [UInt8]), expected: Int) -> Int? {
        guard raw.count > parts.prefix.count + parts.suffix.count, raw.starts(with: parts.prefix),
            raw.suffix(parts.suffix.count).elementsEqual(parts.suffix)
        else { return nil }
        let digits = raw[parts.prefix.count..<(raw.count - parts.suffix.count)]
        guard digits.count <= 18, digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            digits.first != UInt8(ascii: "0") || digits.count == 1,
            let value = Int(String(decoding: digits, as: UTF8.self))
        else { return nil }
        let n = value - counterBase + 1
        return (1...max(expected, 1)).contains(n) ? n : nil
    }

    /// Copies 1...expected (nil where missing) and the extra new files, from the new files in
    /// natural name order: with a pattern, copy n is exactly its name; without, the first
    /// `expected` files are the copies. For local entries and remote listings alike.
    func partition<File>(_ fresh: [File], expected: Int, name: (File) -> [UInt8]) -> (copies: [File?], extra: [File]) {
        guard namePattern != nil else {
            return (Array(fresh.prefix(expected)), Array(fresh.dropFirst(expected)))
        }
        let byName = Dictionary(fresh.map { (name($0), $0) }, uniquingKeysWith: { first, _ in first })
        let copies = (0..<expected).map { index in self.name(ofCopy: index + 1).flatMap { byName[Array($0.utf8)] } }
        let named = Set(copies.compactMap { $0.map(name) })
        return (copies, fresh.filter { !named.contains(name($0)) })
    }
}

/// Finds the copies a server stored during a case and compares each with the standard file.
///
/// Only files that appeared or changed after `snapshot()` count, so whatever the folder held before
/// is neither judged nor touched. Hidden files (names starting with `.`) and fixtures are ignored.
/// With a name pattern, copy n is exactly that file; with a folder, the new files in natural name
/// order (`copy2` before `copy10`) are copies 1, 2, ...; either way, new files beyond the expected
/// copies are `extra` and never make up for missing ones.
public struct CopyVerifier {
    public let location: CopyLocation
    /// What the folder held at `snapshot()`: modification time by name's bytes.
    private var before: [[UInt8]: Int64] = [:]

    public init(location: CopyLocation) {
        self.location = location
    }

    /// A verifier of every new file in `store`.
    public init(store: String) {
        self.init(location: CopyLocation(folder: store))
    }

    public var store: String { location.folder }

    /// Records what the folder holds now.
    public mutating func snapshot() {
        guard let folder = OpenFolder(location.folder) else { return }
        defer { folder.close() }
        before = Dictionary(folder.regularFiles().map { ($0.rawName, $0.modified) }, uniquingKeysWith: { first, _ in first })
    }

    /// The new or changed files, fixtures left out, in natural name order.
    public func newFiles() -> [String] {
        guard let folder = OpenFolder(location.folder) else { return [] }
        defer { folder.close() }
        return fresh(in: folder).map(\.name)
    }

    private func fresh(in folder: OpenFolder) -> [FolderEntry] {
        folder.regularFiles()
            .filter { entry in before[entry.rawName].map { entry.modified > $0 } ?? true }
            .filter { !location.fixtures.contains("\(location.folder)/\($0.name)") }
            .sorted { NaturalOrder.precedes($0.name, $1.name) }
    }

    /// Compares every copy with `standard`; `expected` copies should be there.
    /// - Throws: when the standard cannot be read (a copy that cannot be read is a differing copy).
    public func verify(standard: String, expected: Int) throws -> Verification {
        let reference = try StandardFile(path: standard)
        defer { reference.close() }
        guard let folder = OpenFolder(location.folder) else {
            var none = Verification(identical: 0, differing: 0, missing: 0)
            none.finish(listed: 0, expected: expected)
            none.standardBytes = reference.size
            return none
        }
        defer { folder.close() }
        if let parts = location.patternParts {
            return verifyByName(in: folder, parts: parts, against: reference, expected: expected)
        }
        let (copies, extra) = location.partition(fresh(in: folder), expected: expected, name: \.rawName)
        var result = Verification(identical: 0, differing: 0, missing: 0, extraFiles: extra.map(\.name))
        result.standardBytes = reference.size
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var linked: [FileIdentity: String] = [:]
        for (index, copy) in copies.enumerated() {
            Self.judge(copy: index + 1, copy, in: folder, against: reference, buffer: buffer, linked: &linked, into: &result)
        }
        result.finish(listed: copies.count, expected: expected)
        return result
    }

    /// Counts copy `n`, found as `entry` (nil: missing). One file under several names (hard
    /// links) is one copy: the first name counts; only files with more than one name are
    /// remembered, so memory does not grow with the copies.
    private static func judge(
        copy n: Int, _ entry: FolderEntry?, in folder: OpenFolder, against reference: StandardFile,
        buffer: UnsafeMutableRawBufferPointer, linked: inout [FileIdentity: String], into result: inout Verification
    ) {
        guard let entry else {
            result.count(copy: n, identical: false, name: nil)
            return
        }
        if entry.links > 1 {
            if let first = linked[entry.identity] {
                result.count(copy: n, identical: false, name: entry.name, note: "\(entry.name) is the same file as \(first)")
                return
            }
            linked[entry.identity] = entry.name
        }
        let descriptor = folder.openForReading(entry)
        result.count(copy: n, identical: descriptor >= 0 && isIdentical(descriptor, to: reference, buffer: buffer), name: entry.name)
        if descriptor >= 0 { close(descriptor) }
    }

    /// Copies judged by name are prefetched in blocks of this many, up to `prefetchers` blocks
    /// ahead of the one judged, and only their first `prefetchBytes` (the kernel reads further
    /// ahead by itself as a large copy is read): at most 15 blocks ahead (120 MiB).
    static let prefetchBlock = 128
    static let prefetchers = 16
    static let prefetchBytes = 64 << 10

    /// The most extra files listed by name when copies are verified by name; the rest are counted.
    static let listedExtraFiles = 1000

    /// Under a pattern with one `{n}`: copy n is looked up by its name, and one pass over the
    /// folder finds the extra files, so memory does not grow with the copies.
    private func verifyByName(
        in folder: OpenFolder, parts: (prefix: [UInt8], suffix: [UInt8]), against reference: StandardFile, expected: Int
    ) -> Verification {
        var result = Verification(identical: 0, differing: 0, missing: 0)
        result.standardBytes = reference.size
        let isFresh = { (entry: FolderEntry) in
            (before.isEmpty || before[entry.rawName].map { entry.modified > $0 } ?? true)
                && (location.fixtures.isEmpty || !location.fixtures.contains("\(location.folder)/\(entry.name)"))
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        var linked: [FileIdentity: String] = [:]
        // Copies are judged here block by block, in order, while up to `prefetchers` threads ask
        // the kernel to read the next blocks' copies (`OpenFolder.prefetch`): reading one copy
        // after another waited for the disk at each (the page cache does not keep a million
        // copies here, docs/performance.md), and reads asked for together overlap.
        let block = Self.prefetchBlock
        let copies = { @Sendable (index: Int) in (index * block + 1)...min(expected, (index + 1) * block) }
        let descriptor = folder.descriptor
        let names = location
        OrderedPool.run(
            count: (expected + block - 1) / block, width: Self.prefetchers, lockstep: true,
            work: { index in
                for n in copies(index) {
                    OpenFolder.prefetch(names.rawName(ofCopy: n, parts: parts), in: descriptor, bytes: Self.prefetchBytes)
                }
            },
            deliver: { index, _ in
                for n in copies(index) {
                    let entry = folder.regularFile(named: names.rawName(ofCopy: n, parts: parts)).flatMap { isFresh($0) ? $0 : nil }
                    Self.judge(copy: n, entry, in: folder, against: reference, buffer: buffer, linked: &linked, into: &result)
                }
                return true
            })
        var extra: [String] = []
        var extraCount = 0
        // Only the names that are not copies are looked up: a million copies are not stat'ed twice.
        folder.forEachRegularFile(where: { location.copy(named: $0, parts: parts, expected: expected) == nil }) { entry in
            guard isFresh(entry) else { return }
            extraCount += 1
            if extra.count < Self.listedExtraFiles { extra.append(entry.name) }
        }
        result.extraFiles = extra.sorted(by: NaturalOrder.precedes)
        if extraCount > extra.count { result.notes.append("\(extraCount - extra.count) more extra files not listed") }
        result.finish(listed: expected, expected: expected)
        return result
    }

    /// True when the open file `descriptor` holds exactly the standard's bytes; a read error is a difference.
    static func isIdentical(_ descriptor: Int32, to reference: StandardFile, buffer: UnsafeMutableRawBufferPointer) -> Bool {
        var comparison = StreamingComparison(against: reference)
        var offset: off_t = 0
        while true {
            let got = pread(descriptor, buffer.baseAddress, buffer.count, offset)
            if got < 0 && errno == EINTR { continue }
            if got < 0 { return false }
            if got == 0 { break }
            guard (try? comparison.consume(UnsafeRawBufferPointer(rebasing: buffer[0..<got]))) != nil else { return false }
            if !comparison.matchingSoFar { return false }
            offset += off_t(got)
        }
        return comparison.isIdentical
    }
}

/// Orders names as people do: runs of digits by their value, so `copy2` comes before `copy10`.
enum NaturalOrder {
    static func precedes(_ a: String, _ b: String) -> Bool {
        var left = a.unicodeScalars.makeIterator()
        var right = b.unicodeScalars.makeIterator()
        var x = left.next()
        var y = right.next()
        while let l = x, let r = y {
            if l.properties.numericType != nil && r.properties.numericType != nil && l.isASCII && r.isASCII {
                var leftDigits = ""
                var rightDigits = ""
                while let c = x, c.isASCII, ("0"..."9").contains(c) { leftDigits.unicodeScalars.append(c); x = left.next() }
                while let c = y, c.isASCII, ("0"..."9").contains(c) { rightDigits.unicodeScalars.append(c); y = right.next() }
                let leftValue = leftDigits.drop { $0 == "0" }
                let rightValue = rightDigits.drop { $0 == "0" }
                if leftValue.count != rightValue.count { return leftValue.count < rightValue.count }
                if leftValue != rightValue { return leftValue < rightValue }
                if leftDigits.count != rightDigits.count { return leftDigits.count < rightDigits.count }
                continue
            }
            if l != r { return l.value < r.value }
            x = left.next()
            y = right.next()
        }
        return x == nil && y != nil
    }
}
