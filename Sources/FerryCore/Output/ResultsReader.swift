import Foundation
import Glibc

/// Reads the transfers of a results file one record at a time, so that a million transfers cost
/// one record's memory, not the document's: the layout `ResultsRecorder` writes (each record on a
/// line of its own between `"transfers" : [` and `],`). A file of another layout (written whole
/// by `ResultsFile.write`) is decoded whole instead.
public enum ResultsReader {
    /// Calls `body` with each transfer of the results file at `path`, in order.
    /// - Returns: false when the file cannot be read or is not results (`body` may then have
    ///   seen some transfers: a caller keeps what it gathered only on true).
    @discardableResult
    public static func forEachTransfer(at path: String, _ body: (TransferRecord) -> Void) -> Bool {
        guard let file = fopen(path, "r") else { return false }
        defer { fclose(file) }
        let decoder = JSONDecoder()
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        var inTransfers = false
        var sawTransfers = false
        var delivered = 0
        while true {
            let length = getline(&line, &capacity, file)
            guard length >= 0, let line else { break }
            var bytes = UnsafeRawBufferPointer(start: line, count: length)
            // Without the line's end and indentation, and a record's trailing comma.
            while let last = bytes.last, last == 0x0A || last == 0x2C || last == 0x20 { bytes = UnsafeRawBufferPointer(rebasing: bytes.dropLast()) }
            while let first = bytes.first, first == 0x20 { bytes = UnsafeRawBufferPointer(rebasing: bytes.dropFirst()) }
            if !inTransfers {
                if bytes.elementsEqual("\"transfers\" : [".utf8) {
                    inTransfers = true
                    sawTransfers = true
                }
                continue
            }
            if bytes.first == UInt8(ascii: "]") { break }
            guard bytes.first == UInt8(ascii: "{"), let record = try? decoder.decode(TransferRecord.self, from: Data(bytes)) else {
                // Not one record per line: the document is read whole; a broken line later on is a broken file.
                return delivered == 0 && wholeDocument(at: path, body)
            }
            body(record)
            delivered += 1
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
