// libFuzzer target for the datagram server's session state machine: a script of datagrams from
// several parties at advancing times, each performed as the socket loop would. Built into module
// FerryCore by `make fuzz`, not by SwiftPM.
// Input: records of [party: 1 byte][time step: 1 byte, ×1 ms][length: 2 bytes][datagram].
// Properties: no crash, trap or hang; every write lies inside the announced size and happens only
// during a transfer; a finished copy keeps exactly the bytes up to the furthest segment written;
// no more transfers begin than `count`; the refused list stays within its limit.

@_cdecl("LLVMFuzzerTestOneInput")
public func ferrySessionFuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    typealias Session = DatagramServerSession<Int>
    var session = Session(
        .init(count: 3, reliable: count % 2 == 0, maximumSize: 1 << 40, idle: 200_000_000, linger: 1_000_000_000, fallbackName: "s.txt"),
        at: 0)
    var now: UInt64 = 0
    var announced: Session.Announcement?
    var finished: Session.Finished?
    /// One past the furthest byte written in the transfer in progress.
    var writtenEnd: UInt64 = 0
    func perform(_ action: Session.Action) {
        switch action {
        case .begin(_, let announcement, _):
            precondition(announced == nil)
            announced = announcement
        case .write(let payload, let offset):
            let size = announced!.size
            precondition(offset <= size && UInt64(payload.count) <= size - offset)
            writtenEnd = max(writtenEnd, offset + UInt64(payload.count))
        case .finish(let ended):
            // A kept copy ends exactly where the furthest segment that arrived ends.
            precondition(ended.copyLength == writtenEnd || (ended.reassembly.arrived == 0 && ended.copyLength == 0))
            writtenEnd = 0
            finished = ended
        case .send, .refused: break
        }
    }
    func concludeIfFinished() {
        guard let ended = finished else { return }
        finished = nil
        announced = nil
        session.conclude(
            DatagramVerdict(transfer: ended.announcement.transfer, status: .incomplete, received: 0, expected: 0, arrived: 0, lost: 0,
                duplicated: 0, outOfOrder: 0),
            at: now, perform)
    }
    var offset = 0
    while offset + 4 <= count && !session.isOver {
        let party = Int(bytes[offset] % 4)
        now += UInt64(bytes[offset + 1]) * 1_000_000
        let length = min(Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3]), count - offset - 4)
        offset += 4
        if let deadline = session.deadline, now >= deadline {
            session.expire(at: now, perform)
            concludeIfFinished()
        }
        session.receive(UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length]), from: party, at: now, perform)
        concludeIfFinished()
        session.drained(perform)
        offset += length
    }
    precondition(session.begun <= 3 && session.refused.count <= Session.listedRefusals)
    return 0
}
