/// One line a side prints, defined once: the same value prints the line (`line(file:n:ms:host:)`)
/// and gives the template the runner matches it with (`template`), so the two cannot drift.
///
/// Written as a string with slots:
/// `"I am starting receiving file \"\(.file)\" for the \(.nth) time"`.
public struct AssignmentLine: Sendable, Equatable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// A value filled in when the line is printed. Its raw value is the template placeholder.
    public enum Slot: String, Sendable, Equatable {
        /// The file's name.
        case file
        /// The transfer number as an ordinal: `1st`, `22nd`.
        case nth
        /// Milliseconds with three decimals.
        case ms
        /// The server's address as the client names it.
        case host = "server_ip"
    }

    /// Literal text or a slot.
    public enum Piece: Sendable, Equatable {
        case text(String)
        case slot(Slot)
    }

    public let pieces: [Piece]

    public init(pieces: [Piece]) { self.pieces = pieces }

    public init(stringLiteral value: String) { pieces = [.text(value)] }

    public init(stringInterpolation: StringInterpolation) { pieces = stringInterpolation.pieces }

    public struct StringInterpolation: StringInterpolationProtocol {
        var pieces: [Piece] = []
        public init(literalCapacity: Int, interpolationCount: Int) {}
        public mutating func appendLiteral(_ literal: String) {
            if !literal.isEmpty { pieces.append(.text(literal)) }
        }
        public mutating func appendInterpolation(_ slot: Slot) { pieces.append(.slot(slot)) }
    }

    /// The line as printed, with each slot filled in.
    public func line(file: String = "", n: Int = 0, ms: String = "", host: String = "") -> String {
        var result = ""
        for piece in pieces {
            switch piece {
            case .text(let text): result += text
            case .slot(.file): result += file
            case .slot(.nth): result += Formatting.ordinal(n)
            case .slot(.ms): result += ms
            case .slot(.host): result += host
            }
        }
        return result
    }

    /// The line of a line without slots (`I am done`).
    public var text: String { line() }

    /// The matching template: slots as placeholders (`{file}`, `{nth}`, `{ms}`, `{server_ip}`),
    /// braces in the text doubled.
    public var template: String {
        pieces.map { piece in
            switch piece {
            case .text(let text): text.replacingOccurrences(of: "{", with: "{{").replacingOccurrences(of: "}", with: "}}")
            case .slot(let slot): "{\(slot.rawValue)}"
            }
        }.joined()
    }

    public var description: String { template }

    /// What an exactly printed line held in its slots.
    public struct Values: Equatable, Sendable {
        public var file: String?
        public var n: Int?
        public var ms: Double?
        public var host: String?

        public init(file: String? = nil, n: Int? = nil, ms: Double? = nil, host: String? = nil) {
            self.file = file
            self.n = n
            self.ms = ms
            self.host = host
        }
    }

    /// Reads `line` if it is this line exactly as `line(file:n:ms:host:)` prints it; nil otherwise.
    /// For tools that read Ferry's own output (the benchmark, tests); the runner matches other
    /// programs' output loosely through `template`.
    public func values(in line: String) -> Values? {
        var rest = Substring(line)
        var values = Values()
        for (index, piece) in pieces.enumerated() {
            switch piece {
            case .text(let text):
                guard rest.hasPrefix(text) else { return nil }
                rest = rest.dropFirst(text.count)
            case .slot(let slot):
                // A slot runs to the next literal text, or to the end of the line.
                var taken = rest
                if index + 1 < pieces.count, case .text(let next) = pieces[index + 1] {
                    guard let end = rest.range(of: next) else { return nil }
                    taken = rest[..<end.lowerBound]
                }
                rest = rest[taken.endIndex...]
                switch slot {
                case .file: values.file = String(taken)
                case .host: values.host = String(taken)
                case .ms:
                    guard let ms = Double(taken), ms >= 0 else { return nil }
                    values.ms = ms
                case .nth:
                    guard let n = Int(taken.prefix { $0.isNumber }), Formatting.ordinal(n) == taken else { return nil }
                    values.n = n
                }
            }
        }
        return rest.isEmpty ? values : nil
    }
}
