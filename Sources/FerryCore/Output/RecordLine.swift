/// Reads one transfer record as `ResultsRecorder` writes it, without `JSONDecoder`: a million
/// records decoded through `Codable` cost the runner more than the million transfers' copies
/// (Swift's generic metadata lookups and reference counting per field). The line is one JSON
/// object with no spaces:
///
///     {"bytes":1,"ms":0.084,"n":1,"tcp":{"connect_ms":0.021,"retransmissions":0,"rtt_ms":0.019},"verdict":"identical"}
///
/// Only a strict subset is read here: the keys of `TransferRecord`, `DatagramCounts` and
/// `TCPCounts`, each at most once, in any order; integers without a fraction or exponent;
/// strings of printable ASCII without escapes. Anything else (an escape, a space, `null`, another
/// key, a number out of range) gives nil, and the caller decodes the line with `JSONDecoder`, so
/// every line reads as `JSONDecoder` reads it (`RecordLineTests` checks both on the same lines).
public enum RecordLine {
    /// The record on `line` (without its end, indentation or trailing comma); nil when the line
    /// is outside the subset read here.
    public static func parse(_ line: UnsafeRawBufferPointer) -> TransferRecord? {
        var cursor = Cursor(bytes: line)
        guard let record = cursor.record(), cursor.atEnd else { return nil }
        return record
    }

    /// A byte of a string inside the subset read and written here: printable ASCII other than
    /// `"` and `\` (so a string never needs an escape).
    static func isPlain(_ byte: UInt8) -> Bool {
        byte >= 0x20 && byte < 0x7F && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
    }
}

/// A position in a line, moving forward only; every read returns nil (or false) on anything it
/// does not expect, and the line is then not read here at all.
private struct Cursor {
    let bytes: UnsafeRawBufferPointer
    var at = 0

    /// The longest number read here, in bytes.
    static let longestNumber = 32

    /// Whether the whole line has been read.
    var atEnd: Bool { at == bytes.count }

    /// Moves past `byte` when it is next; false (not moving) otherwise.
    mutating func take(_ byte: UInt8) -> Bool {
        guard at < bytes.count, bytes[at] == byte else { return false }
        at += 1
        return true
    }

    /// Calls `field` with each key of an object (after its `:`) until the closing `}`; `field`
    /// returns false for a key it does not know or a value it cannot read.
    mutating func object(_ field: (inout Cursor, UnsafeRawBufferPointer) -> Bool) -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        if take(UInt8(ascii: "}")) { return true }
        repeat {
            guard let key = string(), take(UInt8(ascii: ":")), field(&self, key) else { return false }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}"))
    }

    /// A string's bytes between its quotes: printable ASCII without `\`.
    mutating func string() -> UnsafeRawBufferPointer? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = at
        while at < bytes.count {
            let byte = bytes[at]
            if byte == UInt8(ascii: "\"") {
                at += 1
                return UnsafeRawBufferPointer(rebasing: bytes[start..<(at - 1)])
            }
            guard RecordLine.isPlain(byte) else { return nil }
            at += 1
        }
        return nil
    }

    /// A JSON number's bytes: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, and
    /// whether it had a fraction or an exponent.
    mutating func number() -> (text: UnsafeRawBufferPointer, whole: Bool)? {
        let start = at
        _ = take(UInt8(ascii: "-"))
        guard at < bytes.count, isDigit(bytes[at]) else { return nil }
        if !take(UInt8(ascii: "0")) { skipDigits() }
        var whole = true
        if take(UInt8(ascii: ".")) {
            guard skipDigits() else { return nil }
            whole = false
        }
        if take(UInt8(ascii: "e")) || take(UInt8(ascii: "E")) {
            if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
            guard skipDigits() else { return nil }
            whole = false
        }
        return (UnsafeRawBufferPointer(rebasing: bytes[start..<at]), whole)
    }

    /// An integer written without fraction or exponent that fits `T`.
    mutating func integer<T: FixedWidthInteger>(_: T.Type = T.self) -> T? {
        guard let (text, whole) = number(), whole else { return nil }
        var negative = false
        var value: T = 0
        for byte in text {
            if byte == UInt8(ascii: "-") {
                negative = true
                continue
            }
            let digit = T(byte - UInt8(ascii: "0"))
            let (shifted, over) = value.multipliedReportingOverflow(by: 10)
            let (sum, carry) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            guard !over, !carry else { return nil }
            value = sum
        }
        return value
    }

    /// A number as a `Double`, rounded as `Double(String)` rounds it (correctly, as `JSONDecoder`
    /// does); nil for what is left to `JSONDecoder`: a number it refuses (one that overflows, or
    /// that is not zero but rounds to it), a subnormal one, and one longer than
    /// `longestNumber` bytes (the recorder writes at most 24), so that only short, ordinary
    /// numbers depend on this second parser.
    mutating func double() -> Double? {
        guard let (text, _) = number(), text.count <= Self.longestNumber,
            let value = Double(String(decoding: text, as: UTF8.self))
        else { return nil }
        if value.isNormal { return value }
        // Zero only when written so: every digit before the exponent a zero.
        let significand = text.prefix { $0 != UInt8(ascii: "e") && $0 != UInt8(ascii: "E") }
        guard value == 0, !significand.contains(where: { $0 >= UInt8(ascii: "1") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return value
    }

    @discardableResult
    private mutating func skipDigits() -> Bool {
        let start = at
        while at < bytes.count, isDigit(bytes[at]) { at += 1 }
        return at > start
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// A whole `TransferRecord`.
    mutating func record() -> TransferRecord? {
        var n: Int?, ms: Double?, bytes: UInt64?, verdict: VerdictStatus?, detail: String?, stored: String?
        var datagrams: DatagramCounts?, tcp: TCPCounts?
        let read = object { cursor, key in
            // A key seen twice is not read here (`where … == nil` fails and it is an unknown key).
            switch String(decoding: key, as: UTF8.self) {
            case "n" where n == nil: return fill(&n, cursor.integer())
            case "ms" where ms == nil: return fill(&ms, cursor.double())
            case "bytes" where bytes == nil: return fill(&bytes, cursor.integer())
            case "verdict" where verdict == nil:
                let key = cursor.string().map { String(decoding: $0, as: UTF8.self) }
                return fill(&verdict, VerdictStatus.allCases.first { $0.key == key })
            case "detail" where detail == nil: return fill(&detail, cursor.string().map { String(decoding: $0, as: UTF8.self) })
            case "stored" where stored == nil: return fill(&stored, cursor.string().map { String(decoding: $0, as: UTF8.self) })
            case "datagrams" where datagrams == nil: return fill(&datagrams, cursor.datagramCounts())
            case "tcp" where tcp == nil: return fill(&tcp, cursor.tcpCounts())
            default: return false
            }
        }
        guard read, let n, let ms, let bytes else { return nil }
        return TransferRecord(n: n, ms: ms, bytes: bytes, verdict: verdict, detail: detail, stored: stored, datagrams: datagrams, tcp: tcp)
    }

    /// A whole `DatagramCounts`.
    mutating func datagramCounts() -> DatagramCounts? {
        var expected: Int?, received: Int?, lost: Int?, duplicated: Int?, outOfOrder: Int?, retransmitted: Int?
        let read = object { cursor, key in
            switch String(decoding: key, as: UTF8.self) {
            case "expected" where expected == nil: return fill(&expected, cursor.integer())
            case "received" where received == nil: return fill(&received, cursor.integer())
            case "lost" where lost == nil: return fill(&lost, cursor.integer())
            case "duplicated" where duplicated == nil: return fill(&duplicated, cursor.integer())
            case "out_of_order" where outOfOrder == nil: return fill(&outOfOrder, cursor.integer())
            case "retransmitted" where retransmitted == nil: return fill(&retransmitted, cursor.integer())
            default: return false
            }
        }
        guard read, let expected, let received, let lost, let duplicated, let outOfOrder else { return nil }
        return DatagramCounts(
            expected: expected, received: received, lost: lost, duplicated: duplicated, outOfOrder: outOfOrder, retransmitted: retransmitted)
    }

    /// A whole `TCPCounts`.
    mutating func tcpCounts() -> TCPCounts? {
        var connectMs: Double?, retransmissions: Int?, rttMs: Double?
        let read = object { cursor, key in
            switch String(decoding: key, as: UTF8.self) {
            case "connect_ms" where connectMs == nil: return fill(&connectMs, cursor.double())
            case "retransmissions" where retransmissions == nil: return fill(&retransmissions, cursor.integer())
            case "rtt_ms" where rttMs == nil: return fill(&rttMs, cursor.double())
            default: return false
            }
        }
        guard read, let connectMs, let retransmissions, let rttMs else { return nil }
        return TCPCounts(connectMs: connectMs, retransmissions: retransmissions, rttMs: rttMs)
    }
}

/// Puts a value read into its field; false when it could not be read.
private func fill<T>(_ field: inout T?, _ value: T?) -> Bool {
    guard let value else { return false }
    field = value
    return true
}
