/// A udp or rudp `start` the server refused and did not count as a transfer: who sent it, the name
/// it announced, and why. In `--json` results under `refused`, and on stderr.
public struct RefusedStart: Codable, Equatable, Sendable, CustomStringConvertible {
    /// The sender's address and port.
    public var peer: String
    /// The name announced (the standard's when the name itself was refused).
    public var name: String
    /// The refusal's code, as in the verdict (`HeaderRefusal`).
    public var detail: UInt8
    /// The refusal in words.
    public var reason: String

    public init(peer: String, name: String, refusal: HeaderRefusal) {
        self.peer = peer
        self.name = name
        detail = refusal.rawValue
        reason = refusal.description
    }

    /// `refused a start from 10.99.0.9:4000 ("x.txt"): the server is busy with another client's transfer; not counted`
    public var description: String { "refused a start from \(peer) (\"\(name)\"): \(reason); not counted" }
}
