import FerryCore
import Foundation

/// The runner's verification of copies stored on another machine, without fetching them: the
/// machine's `sha256sum` hashes each new file of the store, and each hash is compared with the
/// standard's, hashed here. Copies are numbered as `CopyVerifier` numbers them (`CopyLocation`:
/// a name pattern, or new files in natural name order); files that were there before the case
/// (`snapshot`), fixtures and hidden files are never copies.
enum RemoteCopies {
    /// What a store held before the case: modification time by name.
    typealias Snapshot = [String: String]

    /// The SHA-256 of a local file, by coreutils' `sha256sum`.
    static func localHash(_ path: String) throws -> String {
        let output = try Tool.run([ChildProcess.locate("sha256sum") ?? "sha256sum", "--", path], timeout: 600)
        guard let hash = output.split(separator: " ").first, hash.count == 64 else {
            throw FerryError("\(path): cannot hash it with sha256sum")
        }
        return String(hash)
    }

    /// The files of `store` whose names do not start with a dot, as `<mtime> <name>`,
    /// NUL-terminated; nothing when there is no such folder.
    static func timesListing(_ store: String) -> String {
        "cd \(RunInfo.shellWords([store])) 2>/dev/null || exit 0; find . -maxdepth 1 -type f ! -name '.*' -printf '%T@ %f\\0'"
    }

    /// The same files as `hash  ./name` records, NUL-terminated (`sha256sum -z`).
    static func hashListing(_ store: String) -> String {
        "cd \(RunInfo.shellWords([store])) 2>/dev/null || exit 0; find . -maxdepth 1 -type f ! -name '.*' -print0 | xargs -0 -r sha256sum -z --"
    }

    /// NUL-terminated records from a listing's output (lines as captured, joined back).
    private static func records(_ stdout: [String]) -> [String] {
        stdout.joined(separator: "\n").split(separator: "\0").map(String.init)
    }

    /// Names and hashes from `hashListing`'s output.
    /// - Throws: on a record that is not `hash  ./name` (something else printed into the listing):
    ///   a listing that cannot be read whole is not judged.
    static func parse(_ stdout: [String]) throws -> [(name: String, hash: String)] {
        try records(stdout).map { text in
            guard let space = text.firstIndex(of: " "), text[..<space].count == 64,
                text[space...].hasPrefix("  ./"), text.count > 68
            else { throw FerryError("the copies' listing holds a record that is not a hash and a name: \(text.prefix(80))") }
            return (String(text[text.index(space, offsetBy: 4)...]), String(text[..<space]))
        }
    }

    /// Names and modification times from `timesListing`'s output.
    static func parseTimes(_ stdout: [String]) throws -> Snapshot {
        var result: Snapshot = [:]
        for text in records(stdout) {
            guard let space = text.firstIndex(of: " "), space > text.startIndex else {
                throw FerryError("the store's listing holds a record that is not a time and a name: \(text.prefix(80))")
            }
            result[String(text[text.index(after: space)...])] = String(text[..<space])
        }
        return result
    }

    /// What `store` on `session`'s machine holds now.
    static func snapshot(on session: SSHSession, store: String) throws -> Snapshot {
        try parseTimes(session.require(timesListing(store), doing: "listing \(store)").stdout)
    }

    /// Verifies the copies in `store` on `session`'s machine against the local `standard`:
    /// files new or changed since `before`, less the `excluded` names (fixtures), numbered by
    /// `location` (whose folder is not used).
    static func verify(
        on session: SSHSession, store: String, standard: String, expected: Int, location: CopyLocation,
        before: Snapshot = [:], excluded: Set<String> = []
    ) throws -> Verification {
        let wanted = try localHash(standard)
        let times = try before.isEmpty ? [:] : snapshot(on: session, store: store)
        let hashed = try parse(session.require(hashListing(store), doing: "hashing the copies in \(store)").stdout)
        let fresh = hashed
            .filter { file in !excluded.contains(file.name) && (before[file.name] == nil || before[file.name] != times[file.name]) }
            .sorted { NaturalOrder.precedes($0.name, $1.name) }
        let (copies, extra) = location.partition(fresh, expected: expected, name: { Array($0.name.utf8) })
        var result = Verification(identical: 0, differing: 0, missing: 0, extraFiles: extra.map(\.name))
        result.standardBytes = (try? FileManager.default.attributesOfItem(atPath: standard)[.size] as? UInt64) ?? 0
        for (index, copy) in copies.enumerated() {
            result.count(copy: index + 1, identical: copy?.hash == wanted, name: copy?.name)
        }
        result.finish(listed: copies.count, expected: expected)
        return result
    }
}
