/// A position in a YAML source: 1-based line and column.
public struct Mark: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public var description: String { "\(line):\(column)" }
}

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

    /// `scenarios/x.yaml:7:3: unknown key 'repetitons' in 'transfer' (did you mean 'repetitions'?)`
    public var headline: String { "\(path):\(mark.line):\(mark.column): \(message)" }

    public var description: String {
        guard let sourceLine else { return headline }
        let shown = sourceLine.replacingTabs()
        let caretColumn = max(mark.column - 1, 0)
        return "\(headline)\n    \(shown)\n    \(String(repeating: " ", count: caretColumn))^"
    }
}

extension String {
    fileprivate func replacingTabs() -> String {
        String(map { $0 == "\t" ? " " : $0 })
    }
}
