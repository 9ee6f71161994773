/// The `{name}` placeholders of commands and message templates.
public enum Placeholders {
    /// Known in commands and templates alike.
    public static let scenario = [
        "server_ip", "client_ip", "port", "file", "file_path", "standard_path", "repetitions", "buffer_size", "store",
        "protocol", "submission", "submission_name",
    ]
    /// Known in message templates only.
    public static let template = ["n", "nth", "ms", "int", "any"]

    /// A piece of a template: literal text or a placeholder name.
    public enum Piece: Equatable, Sendable {
        case literal(String)
        case placeholder(String)
    }

    /// Splits `text` into literal text and `{name}` placeholders; `{{` and `}}` stand for braces.
    /// - Throws: the message for an unknown or unclosed placeholder.
    public static func split(_ text: String, allowed: [String]) throws(PlaceholderError) -> [Piece] {
        var pieces: [Piece] = []
        var literal = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character == "{", next < text.endIndex, text[next] == "{" {
                literal.append("{")
                index = text.index(after: next)
            } else if character == "}", next < text.endIndex, text[next] == "}" {
                literal.append("}")
                index = text.index(after: next)
            } else if character == "{" {
                guard let close = text[next...].firstIndex(of: "}") else {
                    throw PlaceholderError(message: "unclosed '{' in '\(text)'")
                }
                let name = String(text[next..<close])
                guard allowed.contains(name) else {
                    var message = "unknown placeholder '{\(name)}'"
                    if let suggestion = Spelling.nearest(to: name, in: allowed) { message += " (did you mean '{\(suggestion)}'?)" }
                    throw PlaceholderError(message: message)
                }
                if !literal.isEmpty { pieces.append(.literal(literal)) }
                literal = ""
                pieces.append(.placeholder(name))
                index = text.index(after: close)
            } else {
                literal.append(character)
                index = next
            }
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        return pieces
    }

    /// Replaces scenario placeholders in a command argument with their values.
    public static func expand(_ text: String, with values: [String: String]) -> String {
        guard let pieces = try? split(text, allowed: Array(values.keys)) else { return text }
        return pieces.map { piece in
            switch piece {
            case .literal(let text): text
            case .placeholder(let name): values[name] ?? ""
            }
        }.joined()
    }
}

public struct PlaceholderError: Error, Equatable {
    public var message: String
}
