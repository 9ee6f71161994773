/// Writes one transfer record in the form `RecordLine` reads, byte for byte what `JSONEncoder`
/// with `.sortedKeys` and `.withoutEscapingSlashes` writes, without `JSONEncoder`: through
/// `Codable` a record cost the client about a sixth of its CPU per 1-byte transfer (generic
/// metadata, a dictionary per object, sorting the keys each time).
///
/// The keys in sorted order, each object's optional fields left out when nil:
///
///     {"bytes":…,"datagrams":{…},"detail":"…","ms":…,"n":…,"stored":"…","tcp":{…},"verdict":"…"}
///     datagrams: {"duplicated":…,"expected":…,"lost":…,"out_of_order":…,"received":…,"retransmitted":…}
///     tcp:       {"connect_ms":…,"retransmissions":…,"rtt_ms":…}
///
/// Integers in decimal; a `Double` as its `description` without a trailing `.0` (`0.084`,
/// `1e-05`, `12`), as `JSONEncoder` writes it. Only records inside the subset `RecordLine.parse`
/// reads are written here: a string with a byte outside printable ASCII or with `"` or `\` (the
/// last two, and control characters, `JSONEncoder` escapes), or a time that is not finite, gives
/// false, and the caller encodes the record with `JSONEncoder` (`RecordLineTests` compares the
/// two on random records).
extension RecordLine {
    /// Appends `record` to `bytes`; false, with `bytes` as it was, when the record is outside the
    /// subset written here.
    public static func append(_ record: TransferRecord, to bytes: inout [UInt8]) -> Bool {
        let start = bytes.count
        // The buffer is moved into the writer and back, never copied.
        var writer = Writer()
        swap(&bytes, &writer.bytes)
        let written = writer.record(record)
        swap(&bytes, &writer.bytes)
        if !written { bytes.removeSubrange(start...) }
        return written
    }
}

/// Appends JSON pieces; each member is preceded by a comma except the first of its object.
private struct Writer {
    var bytes: [UInt8] = []
    private var first = true

    mutating func record(_ record: TransferRecord) -> Bool {
        open()
        integer("bytes", record.bytes)
        if let datagrams = record.datagrams {
            key("datagrams")
            open()
            integer("duplicated", datagrams.duplicated)
            integer("expected", datagrams.expected)
            integer("lost", datagrams.lost)
            integer("out_of_order", datagrams.outOfOrder)
            integer("received", datagrams.received)
            if let retransmitted = datagrams.retransmitted { integer("retransmitted", retransmitted) }
            close()
        }
        if let detail = record.detail { guard string("detail", detail) else { return false } }
        guard number("ms", record.ms) else { return false }
        integer("n", record.n)
        if let stored = record.stored { guard string("stored", stored) else { return false } }
        if let tcp = record.tcp {
            key("tcp")
            open()
            guard number("connect_ms", tcp.connectMs) else { return false }
            integer("retransmissions", tcp.retransmissions)
            guard number("rtt_ms", tcp.rttMs) else { return false }
            close()
        }
        if let verdict = record.verdict { guard string("verdict", verdict.key) else { return false } }
        close()
        return true
    }

    private mutating func open() {
        bytes.append(UInt8(ascii: "{"))
        first = true
    }

    private mutating func close() {
        bytes.append(UInt8(ascii: "}"))
        first = false
    }

    /// `"name":` (keys are printable ASCII without escapes).
    private mutating func key(_ name: StaticString) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    private mutating func integer(_ name: StaticString, _ value: some BinaryInteger) {
        key(name)
        bytes.append(contentsOf: value.description.utf8)
    }

    /// A finite `Double` as `JSONEncoder` writes it; false for NaN and the infinities.
    private mutating func number(_ name: StaticString, _ value: Double) -> Bool {
        guard value.isFinite else { return false }
        key(name)
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
        return true
    }

    /// A string of `RecordLine.isPlain` bytes; false for any other.
    private mutating func string(_ name: StaticString, _ value: String) -> Bool {
        guard value.utf8.allSatisfy(RecordLine.isPlain) else { return false }
        key(name)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: value.utf8)
        bytes.append(UInt8(ascii: "\""))
        return true
    }
}
