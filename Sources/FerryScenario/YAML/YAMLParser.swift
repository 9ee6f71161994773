import CYAML

/// Owns a libyaml parser (`yaml_parser_t`) reading one document from a string;
/// deleted exactly once, when this object goes away.
final class YAMLEventParser {
    private var parser = yaml_parser_t()
    /// The text libyaml reads from; it keeps a pointer to it, so it lives as long as the parser.
    private let input: UnsafeMutableBufferPointer<UInt8>

    init(_ text: String) {
        let bytes = Array(text.utf8)
        input = .allocate(capacity: max(bytes.count, 1))
        _ = input.initialize(from: bytes)
        yaml_parser_initialize(&parser)
        yaml_parser_set_input_string(&parser, input.baseAddress, bytes.count)
    }

    deinit {
        yaml_parser_delete(&parser)
        input.deallocate()
    }

    /// The next event.
    /// - Throws: `(message, mark)` with libyaml's problem text and position on a syntax error.
    func next() throws(YAMLSyntaxError) -> YAMLEvent {
        let event = YAMLEvent()
        guard yaml_parser_parse(&parser, &event.raw) == 1 else {
            event.parsed = false
            let problem = parser.problem.map { String(cString: $0) } ?? "syntax error"
            let context = parser.context.map { String(cString: $0) }
            let mark = Mark(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
            throw YAMLSyntaxError(message: context.map { "\(problem) \($0)" } ?? problem, mark: mark)
        }
        return event
    }
}

/// A libyaml syntax error: its problem text and where.
struct YAMLSyntaxError: Error {
    var message: String
    var mark: Mark
}

/// Owns one `yaml_event_t`; freed exactly once in `deinit`.
final class YAMLEvent {
    var raw = yaml_event_t()
    var parsed = true

    deinit {
        if parsed { yaml_event_delete(&raw) }
    }

    var type: yaml_event_type_t { raw.type }

    /// Where the event starts, 1-based.
    var mark: Mark { Mark(line: Int(raw.start_mark.line) + 1, column: Int(raw.start_mark.column) + 1) }

    /// The anchor of a scalar, sequence or mapping start, or the name an alias refers to.
    var anchor: String? {
        let pointer: UnsafeMutablePointer<yaml_char_t>?
        switch raw.type {
        case YAML_SCALAR_EVENT: pointer = raw.data.scalar.anchor
        case YAML_SEQUENCE_START_EVENT: pointer = raw.data.sequence_start.anchor
        case YAML_MAPPING_START_EVENT: pointer = raw.data.mapping_start.anchor
        case YAML_ALIAS_EVENT: pointer = raw.data.alias.anchor
        default: pointer = nil
        }
        return pointer.map { String(cString: $0) }
    }

    /// A scalar's text.
    var scalarValue: String {
        let data = raw.data.scalar
        let bytes = UnsafeBufferPointer(start: data.value, count: Int(data.length))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A scalar written without quotes (a plain scalar).
    var scalarIsPlain: Bool { raw.data.scalar.style == YAML_PLAIN_SCALAR_STYLE }
}
