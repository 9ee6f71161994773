import Glibc

/// Where the TCP server takes its next transfer from: accepted connections whose header has not
/// all arrived wait here side by side, read with `poll`, so a silent or dripping peer never keeps
/// a correct client waiting. Transfers themselves stay one at a time.
///
/// A connection is handed over as soon as its header is complete (or broken enough to refuse, or
/// ended after some bytes). One that sends no complete header within `headerTimeout` is dropped
/// and not counted; so is one that closes without a byte (a client that gave up on its connect).
/// At most `capacity` wait; past that the one that has waited longest is dropped.
struct HeaderGate {
    /// Connections waiting for their header at once.
    static let capacity = 64
    /// What a connection that closed before its first byte is told it was.
    static let closedEmpty = "closed without sending anything"

    private struct Waiting {
        let socket: Socket
        var bytes: [UInt8]
        /// When it was accepted (monotonic nanoseconds).
        let since: UInt64
    }

    private var waiting: [Waiting] = []
    /// Until when (monotonic nanoseconds) the listener is left alone after `accept` found no
    /// descriptor or memory for a connection; nil while it accepts.
    private var acceptPausedUntil: UInt64?
    let headerTimeout: UInt64
    let sink: LineSink

    init(headerTimeout: UInt64, sink: LineSink) {
        self.headerTimeout = headerTimeout
        self.sink = sink
    }

    /// Closes whatever still waits (after the last transfer).
    mutating func close() {
        for entry in waiting { entry.socket.close() }
        waiting.removeAll()
    }

    /// The next connection with its header in `buffer`, and how many bytes of `buffer` it filled.
    ///
    /// While nothing waits, it sleeps in `accept` itself (one call per transfer, as a plain C server
    /// makes): the listener's receive timeout, one wait slice (`TransferDefaults.heldLinesLimit`,
    /// or `--idle-timeout` when shorter), ends it after 50 ms without a client, and held lines go out. After that, and while
    /// connections wait for their headers, it waits in `poll`.
    mutating func next(from listener: Socket, buffer: UnsafeMutableRawBufferPointer) throws -> (Socket, filled: Int) {
        var quiet = false
        while true {
            // What is left of a pause, from one reading of the clock (0: not paused).
            let now = MonotonicClock.now()
            let pauseLeft: UInt64 = acceptPausedUntil.map { $0 > now ? $0 - now : 0 } ?? 0
            let paused = pauseLeft > 0
            if waiting.isEmpty && !quiet && !paused {
                switch accept(listener) {
                case .connection(let connection):
                    // Most clients send their header at once: take it without waiting in line.
                    if let filled = firstBytes(of: connection, into: buffer) { return (connection, filled) }
                case .timedOut:
                    // Held lines wait only while clients keep coming.
                    sink.flush()
                    quiet = true
                case .failed, .exhausted:
                    break
                }
                continue
            }
            // A paused listener is left out (a negative descriptor is ignored by `poll`).
            var polled = [pollfd(fd: paused ? -1 : listener.descriptor, events: Int16(POLLIN), revents: 0)]
            polled += waiting.map { pollfd(fd: $0.socket.descriptor, events: Int16(POLLIN), revents: 0) }
            // Never longer than until the first waiting connection's header time runs out.
            let quietFor: Int32 = quiet ? (waiting.isEmpty ? -1 : 1000) : Int32(TransferDefaults.heldLinesLimit / 1_000_000)
            var timeout = waiting.isEmpty ? quietFor : (quietFor < 0 ? millisecondsToFirstExpiry() : min(quietFor, millisecondsToFirstExpiry()))
            if paused {
                let left = Int32(clamping: pauseLeft / 1_000_000 + 1)
                timeout = timeout < 0 ? left : min(timeout, left)
            }
            let count = try systemCall("poll", listener.context) { poll(&polled, nfds_t(polled.count), timeout) }
            // Headers that arrived (also while a transfer ran) are taken before any timeout is judged.
            let readable = Set(polled.dropFirst().filter { $0.revents != 0 }.map(\.fd))
            if !readable.isEmpty, let ready = takeReadable(readable, buffer: buffer) { return ready }
            dropExpired()
            if count == 0 {
                if !quiet { sink.flush() }
                quiet = true
                continue
            }
            if !paused, polled[0].revents != 0, case .connection(let connection) = accept(listener),
               let filled = firstBytes(of: connection, into: buffer) {
                return (connection, filled)
            }
        }
    }

    private enum Accepted {
        case connection(Socket)
        /// No connection within the listener's receive timeout.
        case timedOut
        /// One aborted before it was taken, or a network gone for a moment (reported).
        case failed
        /// No descriptor or memory left for it: the listener is left alone for `exhaustedPause`.
        case exhausted
    }

    /// How long the listener is left alone after `accept` found no descriptor or memory for a
    /// connection: the connection stays in the kernel's queue meanwhile, and without a pause the
    /// listener, readable all along, would be tried again at once, forever.
    static let exhaustedPause: UInt64 = 100_000_000

    /// Why `accept` can fail for want of resources that a closing connection gives back.
    static let exhaustion: Set<Int32> = [EMFILE, ENFILE, ENOBUFS, ENOMEM]

    /// What the server says, once, when it starts pausing its listener.
    static func exhaustedLine(_ error: SystemError) -> String {
        "server: \(error); trying again every \(Formatting.fixed(Double(exhaustedPause) / 1e9, decimals: 1)) s "
            + "(connections wait in the kernel's queue meanwhile)"
    }

    /// Accepts a connection, waiting at most the listener's receive timeout.
    private mutating func accept(_ listener: Socket) -> Accepted {
        do {
            let connection = try listener.accept().socket
            acceptPausedUntil = nil
            return .connection(connection)
        } catch let error as SystemError where error.code == EAGAIN {
            // Nothing came, and nothing was short: a later shortage is a new one, said again.
            acceptPausedUntil = nil
            return .timedOut
        } catch let error as SystemError where Self.exhaustion.contains(error.code) {
            // Said once until a connection is taken again, not at every try.
            if acceptPausedUntil == nil { sink.diagnostic(Self.exhaustedLine(error)) }
            acceptPausedUntil = MonotonicClock.now() + Self.exhaustedPause
            return .exhausted
        } catch {
            sink.diagnostic("server: accept: \(error); waiting for the next client")
            return .failed
        }
    }

    /// Reads what a new connection sent already into `buffer`: its length when the header is
    /// complete; otherwise it waits in line (nil).
    private mutating func firstBytes(of connection: Socket, into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        guard let got = try? connection.receiveWaiting(into: buffer) else {
            enqueue(Waiting(socket: connection, bytes: [], since: MonotonicClock.now()))
            return nil
        }
        if got == 0 {
            notCounted(connection, Self.closedEmpty)
            return nil
        }
        if Self.isComplete(UnsafeRawBufferPointer(rebasing: buffer[0..<got])) { return got }
        enqueue(Waiting(socket: connection, bytes: Array(UnsafeRawBufferPointer(rebasing: buffer[0..<got])), since: MonotonicClock.now()))
        return nil
    }

    /// Reads from the waiting connections whose descriptors are `readable`; the first whose header
    /// is now complete is handed over, its bytes copied into `buffer`.
    private mutating func takeReadable(_ readable: Set<Int32>, buffer: UnsafeMutableRawBufferPointer) -> (Socket, filled: Int)? {
        var index = 0
        while index < waiting.count {
            guard readable.contains(waiting[index].socket.descriptor) else {
                index += 1
                continue
            }
            let room = TransferHeader.fixedLength + TransferHeader.maximumNameLength - waiting[index].bytes.count
            var chunk = [UInt8](repeating: 0, count: max(room, 1))
            let socket = waiting[index].socket
            let got: Int
            do {
                // Nothing there yet: it keeps waiting. An error (a reset) is the end of it.
                guard let read = try chunk.withUnsafeMutableBytes({ try socket.receiveWaiting(into: $0) }) else {
                    index += 1
                    continue
                }
                got = read
            } catch {
                got = 0
            }
            if got == 0 && waiting[index].bytes.isEmpty {
                notCounted(waiting.remove(at: index).socket, Self.closedEmpty)
                continue
            }
            waiting[index].bytes += chunk[0..<got]
            if got == 0 || Self.isComplete(waiting[index].bytes) {
                // Complete, refusable, or ended inside the header: the transfer judges it.
                let entry = waiting.remove(at: index)
                let filled = min(entry.bytes.count, buffer.count)
                entry.bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: filled) }
                return (entry.socket, filled)
            }
            index += 1
        }
        return nil
    }

    /// True when `bytes` hold a whole header, or a fixed part that is refused anyway.
    static func isComplete<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        guard bytes.count >= TransferHeader.fixedLength else { return false }
        let fixed = Array(bytes.prefix(TransferHeader.fixedLength))
        guard let parsed = try? fixed.withUnsafeBytes({ try TransferHeader.decodeFixed($0) }) else { return true }
        return bytes.count >= TransferHeader.fixedLength + parsed.nameLength
    }

    private mutating func enqueue(_ entry: Waiting) {
        if waiting.count >= Self.capacity {
            notCounted(waiting.removeFirst().socket, "dropped: \(Self.capacity) connections were already waiting for their headers")
        }
        waiting.append(entry)
    }

    private mutating func dropExpired() {
        let now = MonotonicClock.now()
        let limit = Formatting.fixed(Double(headerTimeout) / 1e9, decimals: 1)
        let expired = waiting.filter { now &- $0.since > headerTimeout }
        guard !expired.isEmpty else { return }
        waiting.removeAll { now &- $0.since > headerTimeout }
        for entry in expired { notCounted(entry.socket, "sent no complete header within \(limit) s (--header-timeout); dropped") }
    }

    private func millisecondsToFirstExpiry() -> Int32 {
        let now = MonotonicClock.now()
        let first = waiting.map { $0.since &+ headerTimeout }.min() ?? now
        return Int32(clamping: (first > now ? first - now : 0) / 1_000_000 + 1)
    }

    private func notCounted(_ connection: Socket, _ why: String) {
        sink.diagnostic("server: connection from \(connection.context) \(why); not counted as a transfer")
        connection.close()
    }
}
