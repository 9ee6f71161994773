import Glibc

/// Runs a system call that returns -1 and sets errno on failure, retrying it while it is
/// interrupted by a signal (EINTR). This is the only place EINTR is retried; `close` never
/// goes through it, since a retried close may close a descriptor another thread just opened.
///
/// - Returns: the call's non-negative result.
/// - Throws: `SystemError` naming `call` and `context` for any other failure.
@inline(__always)
@discardableResult
public func systemCall<Result: BinaryInteger>(
    _ call: String, _ context: @autoclosure () -> String, _ body: () -> Result
) throws -> Result {
    while true {
        let result = body()
        if result >= 0 { return result }
        let code = errno
        if code == EINTR { continue }
        throw SystemError(call: call, code: code, context: context())
    }
}

/// Hands `buffer` to `write` until every byte is taken, looping over partial writes.
/// The single place partial writes are handled, for files and sockets alike.
/// `retrying` is asked about each error: true tries the write again (a send timeout slice that
/// made no progress, see `SlicedTimeout`), false throws it.
@inline(__always)
public func writeFully(
    _ buffer: UnsafeRawBufferPointer, _ call: String, _ context: @autoclosure () -> String,
    retrying: (SystemError) -> Bool = { _ in false }, _ write: (UnsafeRawBufferPointer) -> Int
) throws {
    var offset = 0
    while offset < buffer.count {
        let rest = UnsafeRawBufferPointer(rebasing: buffer[offset...])
        do {
            offset += try systemCall(call, context()) { write(rest) }
        } catch let error as SystemError where retrying(error) {
            continue
        }
    }
}
