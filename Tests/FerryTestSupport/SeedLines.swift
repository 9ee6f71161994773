import FerryCore

/// Checks the assignment's required lines in a side's stdout: every transfer's lines in order.
public enum SeedLines {
    /// The lines each transfer must print, in order; the last is the time line, matched up to its figure.
    public static func serverTransferLines(_ name: String, _ n: Int) -> [String] {
        [Messages.serverStarting(name, n), Messages.serverFinishing(name, n), Messages.serverTime(name, n, "")]
    }

    public static func clientTransferLines(_ name: String, _ n: Int) -> [String] {
        [Messages.clientSending(name, n), Messages.clientFinishing(name, n), Messages.clientTime(name, n, "")]
    }

    /// Walks `output` once, finding each expected line after the previous one.
    /// - Returns: the printed times, or the first expected line that is missing.
    public static func times(
        in output: [String], count: Int, lines: (Int) -> [String]
    ) -> Result<[Double], MissingLine> {
        var cursor = 0
        var times: [Double] = []
        for n in 1...count {
            for expected in lines(n) {
                let isTime = expected.hasSuffix(" is: ")
                guard let index = output[cursor...].firstIndex(where: { isTime ? $0.hasPrefix(expected) : $0 == expected }) else {
                    return .failure(MissingLine(expected: expected, after: cursor))
                }
                if isTime, let value = Double(output[index].dropFirst(expected.count)) { times.append(value) }
                cursor = index + 1
            }
        }
        return .success(times)
    }

    /// The figure at the end of the line that starts with `prefix`.
    public static func figure(in output: [String], after prefix: String) -> Double? {
        output.first { $0.hasPrefix(prefix) }.flatMap { Double($0.dropFirst(prefix.count)) }
    }

    public struct MissingLine: Error, CustomStringConvertible {
        public var expected: String
        public var after: Int
        public var description: String { "missing, in order after line \(after): \(expected)" }
    }
}
