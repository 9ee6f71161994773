import Glibc

/// A BSD socket owned by this object: every call on it goes through here, and it is closed
/// exactly once. Errors name the call, the errno text and the address it concerned.
public final class Socket {
    /// The descriptor, or -1 once closed.
    public private(set) var descriptor: Int32
    /// The address this socket is bound, connected or accepted on: the context of its errors.
    /// An accepted connection's is written out only when asked for (most never are): formatting
    /// it for every transfer showed in the server's profile.
    public private(set) var context: String {
        get { contextText ?? peer?.description ?? "" }
        set { contextText = newValue }
    }
    private var contextText: String?
    /// The peer of an accepted connection.
    private let peer: SocketAddress?

    /// Creates a socket of the given family (`AF_INET`, `AF_INET6`) and type (`SOCK_STREAM`, `SOCK_DGRAM`).
    public init(family: Int32, type: __socket_type, context: String) throws {
        contextText = context
        peer = nil
        self.descriptor = try systemCall("socket", context) {
            Glibc.socket(family, Int32(type.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
    }

    private init(accepted descriptor: Int32, peer: SocketAddress) {
        self.descriptor = descriptor
        self.peer = peer
    }

    deinit {
        assert(descriptor < 0, "Socket \(context) leaked: close() was never called")
    }

    /// Closes the socket. Must be called exactly once; never retried on EINTR.
    public func close() {
        precondition(descriptor >= 0, "Socket \(context) closed twice")
        _ = Glibc.close(descriptor)
        descriptor = -1
    }

    /// Sets an integer socket option.
    public func setOption(_ level: Int32, _ name: Int32, _ value: Int32, label: String) throws {
        var value = value
        try systemCall("setsockopt \(label)", context) {
            setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// Reads an integer socket option.
    public func option(_ level: Int32, _ name: Int32, label: String) throws -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        try systemCall("getsockopt \(label)", context) { getsockopt(descriptor, level, name, &value, &length) }
        return value
    }

    /// The kernel's `TCP_INFO` for a connected TCP socket: segments retransmitted (the SYN
    /// included) and the smoothed round-trip time in microseconds. One `getsockopt`.
    public func tcpInfo() throws -> (retransmissions: Int, rttMicroseconds: Int) {
        var info = tcp_info()
        var length = socklen_t(MemoryLayout<tcp_info>.size)
        try systemCall("getsockopt TCP_INFO", context) { getsockopt(descriptor, Int32(IPPROTO_TCP), TCP_INFO, &info, &length) }
        return (Int(info.tcpi_total_retrans), Int(info.tcpi_rtt))
    }

    /// Lets a server rebind its port while old connections linger in TIME_WAIT.
    public func setReuseAddress() throws {
        try setOption(SOL_SOCKET, SO_REUSEADDR, 1, label: "SO_REUSEADDR")
    }

    /// Makes a blocking receive or send fail with EAGAIN after `nanoseconds` without progress
    /// (0: wait forever). Sockets accepted from a listener inherit both.
    public func setIdleTimeout(nanoseconds: UInt64) throws {
        try setTimeout(SO_RCVTIMEO, nanoseconds: nanoseconds)
        try setTimeout(SO_SNDTIMEO, nanoseconds: nanoseconds)
    }

    /// Sets `SO_RCVTIMEO` or `SO_SNDTIMEO`.
    public func setTimeout(_ option: Int32, nanoseconds: UInt64) throws {
        var limit = timeval(tv_sec: Int(nanoseconds / 1_000_000_000), tv_usec: Int(nanoseconds % 1_000_000_000 / 1000))
        try systemCall("setsockopt \(option == SO_RCVTIMEO ? "SO_RCVTIMEO" : "SO_SNDTIMEO")", context) {
            setsockopt(descriptor, SOL_SOCKET, option, &limit, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    /// Binds to `address`.
    public func bind(to address: SocketAddress) throws {
        context = address.description
        try systemCall("bind", context) { address.withSockaddr { Glibc.bind(descriptor, $0, address.length) } }
    }

    /// Starts listening for connections.
    public func listen(backlog: Int32 = 128) throws {
        try systemCall("listen", context) { Glibc.listen(descriptor, backlog) }
    }

    /// Waits for and accepts the next connection.
    public func accept() throws -> (socket: Socket, peer: SocketAddress) {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let accepted = try withUnsafeMutablePointer(to: &storage) { pointer throws in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw throws in
                try systemCall("accept", context) { Glibc.accept(descriptor, raw, &length) }
            }
        }
        let peer = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress(raw: $0, length: length) }
        }
        return (Socket(accepted: accepted, peer: peer), peer)
    }

    /// Connects to `address`, giving up after `timeoutNanoseconds` (a host that never answers
    /// would otherwise hold `connect` for minutes of SYN retries). A blocking connect is bounded
    /// by SO_SNDTIMEO on Linux, which costs one call instead of a non-blocking connect and a poll.
    /// SO_SNDTIMEO stays at that bound afterwards: sends that must wait longer pass a
    /// `SlicedTimeout` (one call per transfer fewer than setting it again).
    public func connect(to address: SocketAddress, timeoutNanoseconds: UInt64) throws {
        context = address.description
        try setTimeout(SO_SNDTIMEO, nanoseconds: max(timeoutNanoseconds, 1000))
        // Not through `systemCall`: an interrupted connect goes on in the background and must not be retried.
        if address.withSockaddr({ Glibc.connect(descriptor, $0, address.length) }) < 0 {
            let code = errno
            throw SystemError(call: "connect", code: code == EINPROGRESS || code == EAGAIN ? ETIMEDOUT : code, context: context)
        }
    }

    /// Sends every byte of `buffer` (looping over partial sends); a send timeout without
    /// progress is retried while `stall` allows.
    public func send(_ buffer: UnsafeRawBufferPointer, flags: Int32 = 0, stall: SlicedTimeout = .none) throws {
        let fd = descriptor
        var stall = stall
        try writeFully(buffer, "send", context, retrying: { stall.allowsRetry(after: $0) }) {
            let sent = Glibc.send(fd, $0.baseAddress, $0.count, flags | Int32(MSG_NOSIGNAL))
            if sent > 0 { stall.progressed() }
            return sent
        }
    }

    /// Sends `count` bytes of `file` from its start with `sendfile(2)`, at most `chunk` bytes a
    /// call; a send timeout without progress is retried while `stall` allows.
    public func sendFile(_ file: OpenFile, count: UInt64, chunk: Int, stall: SlicedTimeout = .none) throws {
        var stall = stall
        var offset: off_t = 0
        let end = off_t(count)
        while offset < end {
            let want = min(Int(end - offset), chunk)
            let sent: Int
            do {
                sent = try systemCall("sendfile", context) { Glibc.sendfile(descriptor, file.descriptor, &offset, want) }
                stall.progressed()
            } catch let error as SystemError where stall.allowsRetry(after: error) {
                continue
            }
            if sent == 0 { throw SystemError(call: "sendfile", code: EIO, context: "\(context): \(file.path) shrank while sending") }
        }
    }

    /// Receives up to `buffer.count` bytes. Returns 0 at the end of the stream.
    /// A receive timeout (see `setIdleTimeout`) throws a `SystemError` with code EAGAIN.
    @inline(__always)
    public func receive(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try systemCall("recv", context) { Glibc.recv(descriptor, buffer.baseAddress, buffer.count, 0) }
    }

    /// Receives up to `buffer.count` bytes, waiting out receive timeouts while `stall` allows and
    /// calling `whileWaiting` after each one. Returns 0 at the end of the stream; throws EAGAIN
    /// once `stall` has run out.
    @inline(__always)
    public func receive(into buffer: UnsafeMutableRawBufferPointer, stall: inout SlicedTimeout, whileWaiting: () -> Void) throws -> Int {
        while true {
            do {
                let got = try receive(into: buffer)
                stall.progressed()
                return got
            } catch let error as SystemError where stall.allowsRetry(after: error) {
                whileWaiting()
            }
        }
    }

    /// Receives what is there without waiting: nil when nothing is (EAGAIN), 0 at the end of the stream.
    public func receiveWaiting(into buffer: UnsafeMutableRawBufferPointer) throws -> Int? {
        do {
            return try systemCall("recv", context) { Glibc.recv(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT)) }
        } catch let error as SystemError where error.code == EAGAIN {
            return nil
        }
    }

    /// Receives until `buffer` is full or the stream ends; returns how many bytes arrived.
    public func receiveFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let got = try receive(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if got == 0 { break }
            filled += got
        }
        return filled
    }

    /// Waits until a datagram or data can be read, at most `nanoseconds`; false on timeout.
    public func waitReadable(nanoseconds: UInt64) throws -> Bool {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(clamping: (nanoseconds + 999_999) / 1_000_000)
        return try systemCall("poll", context) { poll(&poller, 1, milliseconds) } > 0
    }

    /// Receives one datagram without blocking; nil when none is waiting.
    public func receiveDatagram(into buffer: UnsafeMutableRawBufferPointer) throws -> (count: Int, sender: SocketAddress)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let got = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                recvfrom(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT), raw, &length)
            }
        }
        if got < 0 {
            let code = errno
            if code == EAGAIN || code == EINTR { return nil }
            throw SystemError(call: "recvfrom", code: code, context: context)
        }
        let sender = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { SocketAddress(raw: $0, length: length) }
        }
        return (got, sender)
    }

    /// Sends one datagram to `address` (or to the connected peer when nil).
    public func sendDatagram(_ buffer: UnsafeRawBufferPointer, to address: SocketAddress? = nil) throws {
        let sent: Int
        if let address {
            sent = address.withSockaddr { sendto(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), $0, address.length) }
        } else {
            sent = Glibc.send(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
        }
        if sent < 0 {
            let code = errno
            // A full send queue drops the datagram, as the network would.
            if code == EAGAIN || code == ENOBUFS || code == EINTR { return }
            throw SystemError(call: "send", code: code, context: address?.description ?? context)
        }
    }

    /// Connects a datagram socket to `address`: sends go there and only its datagrams arrive.
    public func connectDatagram(to address: SocketAddress) throws {
        context = address.description
        try systemCall("connect", context) { address.withSockaddr { Glibc.connect(descriptor, $0, address.length) } }
    }

    /// Asks for socket buffers of `bytes` each way; as root the system limit is passed over
    /// (SO_RCVBUFFORCE), otherwise the kernel caps it at net.core.rmem_max / wmem_max.
    public func requestBufferSizes(_ bytes: Int32) {
        for (forced, plain) in [(SO_RCVBUFFORCE, SO_RCVBUF), (SO_SNDBUFFORCE, SO_SNDBUF)] {
            if (try? setOption(SOL_SOCKET, forced, bytes, label: "buffer")) == nil {
                try? setOption(SOL_SOCKET, plain, bytes, label: "buffer")
            }
        }
    }

    /// Tells the peer no more data follows (half-close).
    public func shutdownWrite() {
        _ = Glibc.shutdown(descriptor, Int32(SHUT_WR))
    }
}
