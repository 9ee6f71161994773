/// A position in a YAML source: 1-based line and column.
public struct Mark: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    /// Where the text came from when it was not the scenario file: a `--set KEY=VALUE` override.
    public var origin: String?

    public init(line: Int, column: Int, origin: String? = nil) {
        self.line = line
        self.column = column
        self.origin = origin
    }

    public var description: String { "\(line):\(column)" }
}
