import Foundation
import Glibc

/// Reads the transfers of a results file one record at a time, so that a million transfers cost
/// one record's memory, not the document's: the layout `ResultsRecorder` writes (each record on a
/// line of its own between `"transfers" : [` and `],`), each line read by `RecordLine` or, when
/// it is not in the recorder's own form, by `JSONDecoder`. A file of another layout (written
/// whole by `ResultsFile.write`) is decoded whole instead.
public enum ResultsReader {
    /// Calls `body` with each transfer of the results file at `path`, in order.
    /// - Returns: false when the file cannot be read or is not results (`body` may then have
    ///   seen some transfers: a caller keeps what it gathered only on true).
    @discardableResult
    public static func forEachTransfer(at path: String, _ body: (TransferRecord) -> Void) -> Bool {
        guard let lines = FileLineReader(path: path) else { return false }
        let decoder = JSONDecoder()
        var inTransfers = false
        var sawTransfers = false
        var delivered = 0
        var record: TransferRecord?
        enum Step { case next, end, whole }
        while let step = lines.next({ line -> Step in
            var bytes = UnsafeRawBufferPointer(line)
            // Without the line's end and indentation, and a record's trailing comma.
            while let last = bytes.last, last == 0x0A || last == 0x2C || last == 0x20 { bytes = UnsafeRawBufferPointer(rebasing: bytes.dropLast()) }
            while let first = bytes.first, first == 0x20 { bytes = UnsafeRawBufferPointer(rebasing: bytes.dropFirst()) }
            if !inTransfers {
                if bytes.elementsEqual("\"transfers\" : [".utf8) {
                    inTransfers = true
                    sawTransfers = true
                }
                return .next
            }
            if bytes.first == UInt8(ascii: "]") { return .end }
            // The recorder's own form is read directly; any other line as `JSONDecoder` reads it.
            guard bytes.first == UInt8(ascii: "{"),
                let decoded = RecordLine.parse(bytes) ?? (try? decoder.decode(TransferRecord.self, from: Data(bytes)))
            else { return .whole }
            record = decoded
            return .next
        }) {
            switch step {
            case .next:
                if let decoded = record {
                    body(decoded)
                    delivered += 1
                    record = nil
                }
                continue
            case .end:
                break
            case .whole:
                // Not one record per line: the document is read whole; a broken line later on is a broken file.
                return delivered == 0 && wholeDocument(at: path, body)
            }
            break
        }
        return sawTransfers || wholeDocument(at: path, body)
    }

    private static func wholeDocument(at path: String, _ body: (TransferRecord) -> Void) -> Bool {
        guard let data = FileManager.default.contents(atPath: path), let results = try? JSONDecoder().decode(ResultsFile.self, from: data)
        else { return false }
        results.transfers.forEach(body)
        return true
    }
}
