import Foundation
import Glibc

/// The children alive in this process, so that an interrupted run can stop them.
public final class ProcessRegistry: @unchecked Sendable {
    public static let shared = ProcessRegistry()
    private let children = LiveObjects<ChildProcess>()

    /// True once `stopAll` ran: no further tracked child may start.
    public var isClosed: Bool { children.isClosed }

    func add(_ child: ChildProcess) { children.insert(child) }
    func remove(_ child: ChildProcess) { children.remove(child) }

    /// Stops every child still registered (SIGTERM, grace, SIGKILL); none may start afterwards.
    public func stopAll(grace: TimeInterval = 1) {
        let alive = children.close()
        for child in alive { child.signalGroup(SIGTERM) }
        for child in alive { child.stop(grace: grace) }
    }
}
