import Glibc

/// A failed system call: which call, the errno it left, and what it was working on.
///
/// Its description is one line, `bind 10.99.0.2:5001: Address already in use`,
/// ready to print as the reason for a failure.
public struct SystemError: Error, Equatable, CustomStringConvertible {
    /// The call that failed, such as `bind` or `open`.
    public let call: String
    /// The errno value the call left.
    public let code: Int32
    /// What the call was working on: an address, a path; may be empty.
    public let context: String

    public init(call: String, code: Int32, context: String) {
        self.call = call
        self.code = code
        self.context = context
    }

    /// The C library's text for `code`, such as "Connection refused".
    public var reason: String { String(cString: strerror(code)) }

    public var description: String {
        context.isEmpty ? "\(call): \(reason)" : "\(call) \(context): \(reason)"
    }
}

/// A problem in what the user asked for or in the data: the message is the whole story, one line.
public struct FerryError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
