import Foundation

/// Whether a line contains a text, without Foundation's string search: that search converts both
/// to UTF-16 for every line (the runner asks it of every line a side prints), and it traps on some
/// lines that are not ASCII when the text holds a NUL (`"éab".contains("b\0")`).
public enum TextSearch {
    /// Whether `text` (not empty) occurs in `line`: byte for byte when both are ASCII, otherwise
    /// character for character (canonically equivalent characters are equal, so a precomposed
    /// `é` matches `e` + U+0301, and a text never matches half a character). An empty text is
    /// never contained, as with Foundation's `contains`.
    public static func contains(_ line: String, _ text: String) -> Bool {
        guard !text.isEmpty else { return false }
        var line = line
        var text = text
        let answer: Bool? = line.withUTF8 { bytes in
            text.withUTF8 { needle in
                guard needle.allSatisfy({ $0 < 0x80 }), bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
                return contains(bytes, needle)
            }
        }
        return answer ?? (line.firstRange(of: text) != nil)
    }

    /// Whether `needle` (not empty) occurs in `bytes`, byte for byte.
    static func contains(_ bytes: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !needle.isEmpty, needle.count <= bytes.count, let base = bytes.baseAddress, let wanted = needle.baseAddress else { return false }
        let first = Int32(needle[0])
        var start = 0
        let last = bytes.count - needle.count
        while start <= last {
            guard let found = memchr(base + start, first, last - start + 1) else { return false }
            let offset = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            if memcmp(base + offset, wanted, needle.count) == 0 { return true }
            start = offset + 1
        }
        return false
    }
}
