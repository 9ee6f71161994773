/// A problem at a position in a source file, printed the way compilers do: a first line with
/// `path:line:col: message`, then the source line and a caret under the column.
public struct SourceError: Error, Equatable, CustomStringConvertible {
    /// The file, as the user named it.
    public var path: String
    public var mark: Mark
    public var message: String
    /// The text of the line at `mark`, if known.
    public var sourceLine: String?

    public init(path: String, mark: Mark, message: String, sourceLine: String? = nil) {
        self.path = path
        self.mark = mark
        self.message = message
        self.sourceLine = sourceLine
    }

    /// An error at `mark` in `text`, showing the line `mark` points to.
    public init(path: String, mark: Mark, message: String, in text: String) {
        self.init(path: path, mark: mark, message: message, sourceLine: Self.line(mark.line, of: text))
    }

    /// Line `number` (1-based) of `text`, found without splitting the whole text.
    static func line(_ number: Int, of text: String) -> String? {
        guard number >= 1 else { return nil }
        let bytes = text.utf8
        var start = bytes.startIndex
        for _ in 1..<number {
            guard let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
            start = bytes.index(after: newline)
        }
        let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
        return String(text[start..<end])
    }

    /// `scenarios/x.yaml:7:3: unknown key 'repetitons' in 'transfer' (did you mean 'repetitions'?)`
    public var headline: String { "\(path):\(mark.line):\(mark.column): \(message)" }

    /// The widest source snippet shown; a longer line is cut around the column, marked with `…`.
    public static let snippetWidth = 100

    public var description: String {
        guard let sourceLine else { return headline }
        let characters = Array(sourceLine.replacingTabs())
        var caretColumn = min(max(mark.column - 1, 0), characters.count)
        var shown = String(characters)
        if characters.count > Self.snippetWidth {
            let start = max(0, min(caretColumn - Self.snippetWidth / 2, characters.count - Self.snippetWidth))
            let end = min(characters.count, start + Self.snippetWidth)
            shown = (start > 0 ? "…" : "") + String(characters[start..<end]) + (end < characters.count ? "…" : "")
            caretColumn = caretColumn - start + (start > 0 ? 1 : 0)
        }
        return "\(headline)\n    \(shown)\n    \(String(repeating: " ", count: caretColumn))^"
    }
}

extension String {
    fileprivate func replacingTabs() -> String {
        String(map { $0 == "\t" ? " " : $0 })
    }
}
