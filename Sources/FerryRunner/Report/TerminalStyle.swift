import Foundation
import Glibc

/// Colour for what the runner prints on a terminal: PASS green, FAIL red, skipped and progress
/// dimmed. Off when stdout is not a terminal, when `NO_COLOR` is set to anything non-empty
/// (no-color.org), or with `--no-color`; then the text is exactly the plain text.
public struct TerminalStyle: Sendable, Equatable {
    /// Whether text gets colour codes.
    public let colored: Bool

    /// A style with colour on or off.
    public init(colored: Bool) { self.colored = colored }

    /// The style for this process: colour only on a terminal, and only when not turned off.
    public static func decide(isTerminal: Bool, environment: [String: String], noColor: Bool) -> TerminalStyle {
        TerminalStyle(colored: isTerminal && !noColor && (environment["NO_COLOR"] ?? "").isEmpty)
    }

    /// The style for stdout of this process.
    public static func forStandardOutput(noColor: Bool) -> TerminalStyle {
        decide(isTerminal: isatty(STDOUT_FILENO) == 1, environment: ProcessInfo.processInfo.environment, noColor: noColor)
    }

    /// No colour: the text as it is.
    public static let plain = TerminalStyle(colored: false)

    private func wrap(_ text: String, _ code: String) -> String { colored ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    /// Green.
    public func pass(_ text: String) -> String { wrap(text, "32") }
    /// Bold red.
    public func fail(_ text: String) -> String { wrap(text, "1;31") }
    /// Faint.
    public func dim(_ text: String) -> String { wrap(text, "2") }

    /// A report line with its leading verdict word coloured: `PASS …`, `FAIL …`, `     FAIL …`.
    public func line(_ text: String) -> String {
        guard colored else { return text }
        let indent = text.prefix { $0 == " " }
        let rest = text.dropFirst(indent.count)
        for (word, paint) in [("PASS", pass), ("FAIL", fail), ("skipped", dim)] where rest.hasPrefix(word + " ") {
            return indent + paint(word) + rest.dropFirst(word.count)
        }
        return text
    }
}
