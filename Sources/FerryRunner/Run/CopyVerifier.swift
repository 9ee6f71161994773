import FerryCore
import Foundation

/// The runner's own check of the copies a server stored.
public struct Verification: Codable, Equatable, Sendable {
    public var identical: Int
    public var differing: Int
    public var missing: Int
    /// The differing copies' names.
    public var differingFiles: [String]

    enum CodingKeys: String, CodingKey { case identical, differing, missing }

    public init(identical: Int, differing: Int, missing: Int, differingFiles: [String] = []) {
        self.identical = identical
        self.differing = differing
        self.missing = missing
        self.differingFiles = differingFiles
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        identical = try container.decode(Int.self, forKey: .identical)
        differing = try container.decode(Int.self, forKey: .differing)
        missing = try container.decode(Int.self, forKey: .missing)
        differingFiles = []
    }

    /// Copies that are not identical, counting missing ones.
    public var incorrect: Int { differing + missing }
}

/// Finds the copies a server stored during a case and compares each with the standard file.
///
/// Only files that appeared or changed after `snapshot()` count, so whatever the store held before
/// is neither judged nor touched. Hidden files (names starting with `.`) are ignored.
public struct CopyVerifier {
    public let store: String
    private var before: [String: Date] = [:]

    public init(store: String) {
        self.store = store
    }

    /// Records what the store holds now.
    public mutating func snapshot() {
        before = Self.listing(store)
    }

    /// The new or changed copies, sorted by name.
    public func newCopies() -> [String] {
        Self.listing(store).filter { name, modified in before[name].map { modified > $0 } ?? true }.keys.sorted()
    }

    /// Compares every new copy with `standard`; `expected` copies should be there.
    public func verify(standard: String, expected: Int) throws -> Verification {
        let reference = try StandardFile(path: standard)
        defer { reference.close() }
        var result = Verification(identical: 0, differing: 0, missing: 0)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        for name in newCopies() {
            if try Self.isIdentical("\(store)/\(name)", to: reference, buffer: buffer) {
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
