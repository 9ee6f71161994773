import FerryCore
import Foundation
import Glibc

/// What every report says about the run as a whole: when and where it ran, how it was called,
/// and, for a run that stopped before judging (exit 2 or 3), the one-line reason.
public struct RunInfo: Sendable {
    public var startedAt: Date
    public var hostname: String
    /// The folder the runner was started in: report paths are given relative to it.
    public var workingDirectory: String
    public var arguments: [String]
    /// Why the run stopped before judging every case, in one line; nil when it did not.
    public var error: String?
    /// Where that reason points, when it is a place in a scenario file.
    public var errorFile: String?
    public var errorLine: Int?

    public init(startedAt: Date = Date(), hostname: String = RunInfo.hostName(), workingDirectory: String = FileManager.default.currentDirectoryPath,
                arguments: [String] = CommandLine.arguments) {
        self.startedAt = startedAt
        self.hostname = hostname
        self.workingDirectory = workingDirectory
        self.arguments = arguments
    }

    /// This machine's host name.
    public static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "unknown" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// `path` relative to the working folder when it lies inside it (`scenarios/default.yaml`).
    public func relative(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : "\(workingDirectory)/\(path)"
        let standardized = URL(fileURLWithPath: absolute).standardizedFileURL.path
        let base = URL(fileURLWithPath: workingDirectory).standardizedFileURL.path
        if standardized.hasPrefix(base + "/") { return String(standardized.dropFirst(base.count + 1)) }
        return path
    }

    /// `2026-11-26T13:20:05Z`: ISO 8601 in UTC, to the second.
    public static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec)
    }

    /// The command line as one shell-readable string.
    public var commandLine: String { Self.shellWords(arguments) }

    /// `arguments` as one line a shell reads back the same: words quoted where needed.
    public static func shellWords(_ arguments: [String]) -> String {
        arguments.map { argument in
            argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,@%+".contains($0) } && !argument.isEmpty
                ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}
