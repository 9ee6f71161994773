import FerryCore
import Foundation

/// A `LineSink` that keeps every line, for asserting what a server or client printed, and lets a
/// test wait for a line (the server's ready line) instead of sleeping.
public final class RecordingSink: LineSink, @unchecked Sendable {
    private let lock = NSCondition()
    private var outLines: [String] = []
    private var diagnosticLines: [String] = []

    public init() {}

    public func out(_ line: String) {
        lock.lock()
        outLines.append(line)
        lock.broadcast()
        lock.unlock()
    }

    /// Waits up to `seconds` for a stdout line equal to `line`; true when it came.
    @discardableResult
    public func waitForLine(_ line: String, seconds: TimeInterval = 10) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        lock.lock()
        defer { lock.unlock() }
        while !outLines.contains(line) {
            if !lock.wait(until: deadline) { return outLines.contains(line) }
        }
        return true
    }

    public func diagnostic(_ line: String) {
        lock.lock()
        diagnosticLines.append(line)
        lock.unlock()
    }

    public func flush() {}
    public func flush(ifOlderThan nanoseconds: UInt64) {}

    /// The stdout lines so far.
    public var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return outLines
    }

    /// The stderr lines so far.
    public var diagnostics: [String] {
        lock.lock()
        defer { lock.unlock() }
        return diagnosticLines
    }
}

/// Runs a closure on a thread of its own; `join()` waits for and returns its result.
public final class BackgroundRun<Value>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<Value, Error>?

    public init(_ body: @escaping () throws -> Value) {
        nonisolated(unsafe) let work = body
        let thread = Thread { [self] in
            result = Result { try work() }
            done.signal()
        }
        thread.start()
    }

    /// Waits for the closure and returns what it returned, or rethrows.
    public func join() throws -> Value {
        done.wait()
        return try result!.get()
    }
}

/// A loopback TCP port that was free a moment ago.
public func freeLoopbackPort() throws -> UInt16 {
    let socket = try Socket(family: AF_INET, type: SOCK_STREAM, context: "127.0.0.1:0")
    defer { socket.close() }
    try socket.bind(to: SocketAddress(host: "127.0.0.1", port: 0))
    var address = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket.descriptor, $0, &length) }
    }
    return UInt16(bigEndian: address.sin_port)
}
