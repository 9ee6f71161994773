import FerryCore
import Foundation
import Glibc

/// The runner's own check of the copies a server stored.
public struct Verification: Codable, Equatable, Sendable {
    public var identical: Int
    public var differing: Int
    public var missing: Int
    /// The differing copies' names.
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

    /// Copies that are not identical, counting missing ones.
    public var incorrect: Int { differing + missing }

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

    /// The name of copy `n` (1-based) under a pattern.
    func name(ofCopy n: Int) -> String? {
        namePattern?.replacingOccurrences(of: "{n}", with: String(n - 1 + counterBase))
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
    private var before: [String: Date] = [:]

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
        before = Self.listing(location.folder)
    }

    /// The new or changed files, fixtures left out, in natural name order.
    public func newFiles() -> [String] {
        Self.listing(location.folder)
            .filter { name, modified in before[name].map { modified > $0 } ?? true }
            .keys
            .filter { !location.fixtures.contains("\(location.folder)/\($0)") }
            .sorted(by: NaturalOrder.precedes)
    }

    /// The new copies as judged: under a pattern the expected names that are new, else the
    /// first `expected` new files.
    public func newCopies(expected: Int = .max) -> [String] {
        partition(expected: expected).copies.compactMap { $0 }
    }

    /// Copies 1...expected (nil where missing) and the extra new files.
    func partition(expected: Int) -> (copies: [String?], extra: [String]) {
        let fresh = newFiles()
        guard location.namePattern != nil else {
            return (Array(fresh.prefix(expected)), Array(fresh.dropFirst(expected)))
        }
        let freshSet = Set(fresh)
        let copies = (0..<expected).map { index in location.name(ofCopy: index + 1).flatMap { freshSet.contains($0) ? $0 : nil } }
        let named = Set(copies.compactMap { $0 })
        return (copies, fresh.filter { !named.contains($0) })
    }

    /// Compares every copy with `standard`; `expected` copies should be there.
    /// - Throws: when the standard cannot be read (a copy that cannot be read is a differing copy).
    public func verify(standard: String, expected: Int) throws -> Verification {
        let reference = try StandardFile(path: standard)
        defer { reference.close() }
        let (copies, extra) = partition(expected: expected)
        var result = Verification(identical: 0, differing: 0, missing: 0, extraFiles: extra)
        result.standardBytes = reference.size
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        // One file under several names (hard links) is one copy: the first name counts.
        var seen: [FileIdentity: String] = [:]
        for name in copies.compactMap({ $0 }) {
            let path = "\(location.folder)/\(name)"
            if let identity = FileIdentity(path: path) {
                if let first = seen[identity] {
                    result.differing += 1
                    result.differingFiles.append(name)
                    result.notes.append("\(name) is the same file as \(first)")
                    continue
                }
                seen[identity] = name
            }
            if (try? Self.isIdentical(path, to: reference, buffer: buffer)) == true {
                result.identical += 1
            } else {
                result.differing += 1
                result.differingFiles.append(name)
            }
        }
        result.missing = max(0, expected - result.identical - result.differing)
        return result
    }

    static func isIdentical(_ path: String, to reference: StandardFile, buffer: UnsafeMutableRawBufferPointer) throws -> Bool {
        let file = try OpenFile.forReading(path)
        defer { file.close() }
        var comparison = StreamingComparison(against: reference)
        var offset: UInt64 = 0
        while true {
            let got = try file.read(into: buffer, at: offset)
            if got == 0 { break }
            try comparison.consume(UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
            if !comparison.matchingSoFar { return false }
            offset += UInt64(got)
        }
        return comparison.isIdentical
    }

    private static func listing(_ folder: String) -> [String: Date] {
        let manager = FileManager.default
        var result: [String: Date] = [:]
        for name in (try? manager.contentsOfDirectory(atPath: folder)) ?? [] where !name.hasPrefix(".") {
            guard let attributes = try? manager.attributesOfItem(atPath: "\(folder)/\(name)"),
                attributes[.type] as? FileAttributeType == .typeRegular
            else { continue }
            result[name] = attributes[.modificationDate] as? Date ?? .distantPast
        }
        return result
    }
}

/// A file's device and inode: the same for every name of one file.
struct FileIdentity: Hashable {
    let device: UInt64
    let inode: UInt64

    init?(path: String) {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
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
