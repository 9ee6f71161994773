import Foundation

/// A thread-safe set of live objects that an interrupted run must clean up, which can be closed
/// so that nothing new joins once clean-up has begun.
final class LiveObjects<Item: AnyObject>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [ObjectIdentifier: Item] = [:]
    private var closed = false

    /// True once `close()` ran.
    var isClosed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closed
    }

    func insert(_ item: Item) {
        lock.lock()
        items[ObjectIdentifier(item)] = item
        lock.unlock()
    }

    func remove(_ item: Item) {
        lock.lock()
        items[ObjectIdentifier(item)] = nil
        lock.unlock()
    }

    /// Closes the set and returns what is in it.
    func close() -> [Item] {
        lock.lock()
        defer { lock.unlock() }
        closed = true
        return Array(items.values)
    }
}
