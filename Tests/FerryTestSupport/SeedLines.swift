import FerryCore

/// Checks the assignment's required lines in a side's stdout: every transfer's lines in order.
public enum SeedLines {
    /// The lines each transfer must print, in order; the last is the time line, whose figure is read.
    public static let serverTransferLines = [Messages.serverStarting, Messages.serverFinishing, Messages.serverTime]

    public static let clientTransferLines = [Messages.clientSending, Messages.clientFinishing, Messages.clientTime]

    /// Walks `output` once, finding each expected line after the previous one.
    /// - Returns: the printed times, or the first expected line that is missing.
    public static func times(
        in output: [String], file: String, count: Int, lines: [AssignmentLine]
    ) -> Result<[Double], MissingLine> {
        var cursor = 0
        var times: [Double] = []
        for n in 1...count {
            for expected in lines {
                guard let index = output[cursor...].firstIndex(where: { line in
                    expected.values(in: line).map { $0.file == file && $0.n == n } ?? false
                }) else {
                    return .failure(MissingLine(expected: expected.line(file: file, n: n, ms: "{ms}"), after: cursor))
                }
                if let ms = expected.values(in: output[index])?.ms { times.append(ms) }
                cursor = index + 1
            }
        }
        return .success(times)
    }

    /// The figure of the first line that reads as `line`.
    public static func figure(in output: [String], of line: AssignmentLine) -> Double? {
        output.lazy.compactMap { line.values(in: $0)?.ms }.first
    }

    public struct MissingLine: Error, CustomStringConvertible {
        public var expected: String
        public var after: Int
        public var description: String { "missing, in order after line \(after): \(expected)" }
    }
}
