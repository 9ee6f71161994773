import FerryCore
import Foundation

/// The runner's verification of copies stored on another machine, without fetching them: the
/// machine's `sha256sum` hashes each file of the store, and each hash is compared with the
/// standard's, hashed here. Copies are numbered as `CopyVerifier` numbers them in a folder
/// without a name pattern: new files in natural name order (the store is fresh for each case).
enum RemoteCopies {
    /// The SHA-256 of a local file, by coreutils' `sha256sum`.
    static func localHash(_ path: String) throws -> String {
        let child = try ChildProcess(arguments: [ChildProcess.locate("sha256sum") ?? "sha256sum", "--", path])
        let status = child.wait(until: Date().addingTimeInterval(600)) ?? child.stop()
        _ = child.output.waitForClose(until: Date().addingTimeInterval(2))
        guard status == .exited(0), let line = child.output.snapshot.first(where: { $0.stream == .stdout }),
            let hash = line.text.split(separator: " ").first, hash.count == 64
        else { throw FerryError("\(path): cannot hash it with sha256sum (\(status))") }
        return String(hash)
    }

    /// `hash  ./name` records, NUL-terminated (`sha256sum -z`), of every file in `store` whose
    /// name does not start with a dot.
    static func listing(_ store: String) -> String {
        "cd \(RunInfo.shellWords([store])) 2>/dev/null || exit 0; "
            + "find . -maxdepth 1 -type f ! -name '.*' -print0 | xargs -0 -r sha256sum -z --"
    }

    /// Names and hashes from `listing`'s output (lines as captured, joined back).
    /// - Throws: on a record that is not `hash  ./name` (something else printed into the listing):
    ///   a listing that cannot be read whole is not judged.
    static func parse(_ stdout: [String]) throws -> [(name: String, hash: String)] {
        try stdout.joined(separator: "\n").split(separator: "\0").map { record in
            let text = String(record)
            guard let space = text.firstIndex(of: " "), text[..<space].count == 64,
                text[space...].hasPrefix("  ./"), text.count > 68
            else { throw FerryError("the copies' listing holds a record that is not a hash and a name: \(text.prefix(80))") }
            return (String(text[text.index(space, offsetBy: 4)...]), String(text[..<space]))
        }
    }

    /// Verifies the copies in `store` on `session`'s machine against the local `standard`.
    static func verify(on session: SSHSession, store: String, standard: String, expected: Int) throws -> Verification {
        let wanted = try localHash(standard)
        let output = try session.require(listing(store), doing: "hashing the copies in \(store)")
        let files = try parse(output.stdout).sorted { NaturalOrder.precedes($0.name, $1.name) }
        var result = Verification(identical: 0, differing: 0, missing: 0, extraFiles: files.dropFirst(expected).map(\.name))
        result.standardBytes = (try? FileManager.default.attributesOfItem(atPath: standard)[.size] as? UInt64) ?? 0
        for (index, file) in files.prefix(expected).enumerated() {
            if file.hash == wanted {
                result.identical += 1
            } else {
                result.differing += 1
                result.differingFiles.append(file.name)
                result.incorrectCopies.append(index + 1)
            }
        }
        result.missing = max(0, expected - result.identical - result.differing)
        result.incorrectCopies += (min(files.count, expected)..<expected).map { $0 + 1 }
        return result
    }
}
