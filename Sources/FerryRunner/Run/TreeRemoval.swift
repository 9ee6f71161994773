import Foundation
import Glibc
import Synchronization

extension OpenFolder {
    /// Threads that unlink a store's files at once. Removing a file mostly waits for the file
    /// system (its journal, and on a device mounted with `discard` the freed block's trim), not
    /// for a CPU, so several removals overlap their waits: a million passing copies took 111 s
    /// with one thread, 45–50 s with 8 (docs/performance.md has the rates from 1 to 32).
    static let removers = 16

    /// Removes the folder at `path` and everything in it: files unlinked by the folder's
    /// descriptor as one `readdir` pass hands out their names (a million copies go without a list
    /// of their names) to `removers` threads, any subfolder through `FileManager`. A symbolic link
    /// is removed, never what it points to.
    static func removeTree(_ path: String) {
        guard let folder = OpenFolder(path, followingLinks: false) else {
            try? FileManager.default.removeItem(atPath: path)
            return
        }
        let descriptor = folder.descriptor
        let listing = SharedListing(folder)
        // The pool as plain threads: the removers deliver nothing.
        OrderedPool.run(
            count: removers, width: removers,
            work: { _ in
                while let names = listing.nextNames() {
                    for raw in names {
                        if withCName(raw, { unlinkat(descriptor, $0, 0) }) != 0 {
                            try? FileManager.default.removeItem(atPath: "\(path)/\(String(decoding: raw, as: UTF8.self))")
                        }
                    }
                }
            },
            deliver: { _, _ in true })
        listing.close()
        rmdir(path)
    }
}

/// One folder's `readdir` stream shared by the removers: each takes the next names under the lock
/// and unlinks them outside, so the names are read once and in order while the unlinks overlap.
private final class SharedListing: Sendable {
    private let folder: Mutex<OpenFolder>

    /// Names taken under the lock at a time. One at a time, 16 removers spent a tenth of the
    /// runner's CPU spinning for the lock on two CPUs (`perf`), and 10,000 copies took 0.22–0.30 s
    /// to remove instead of 0.06–0.09 s.
    static let batch = 64

    init(_ folder: sending OpenFolder) {
        self.folder = Mutex(folder)
    }

    /// Up to `batch` next names of the folder (`OpenFolder.nextName`); nil at the end.
    func nextNames() -> [[UInt8]]? {
        folder.withLock { folder in
            var names: [[UInt8]] = []
            while names.count < Self.batch, let name = folder.nextName() { names.append(name) }
            return names.isEmpty ? nil : names
        }
    }

    /// Closes the folder, once every remover is done.
    func close() { folder.withLock { $0.close() } }
}
