import Foundation

/// The executables `swift build` made, found next to the running test binary.
public enum BuiltProducts {
    /// The folder holding the test binary and the executables (`.build/debug`).
    public static var directory: String {
        if let override = ProcessInfo.processInfo.environment["FERRY_BIN_DIR"] { return override }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // Inside an .xctest bundle folder on some layouts.
        if folder.lastPathComponent.hasSuffix(".xctest") { folder.deleteLastPathComponent() }
        return folder.path
    }

    /// The full path of executable `name`; a test that needs it fails when it was not built.
    public static func path(_ name: String) -> String {
        "\(directory)/\(name)"
    }

    /// True when executable `name` exists (run `swift build` before `swift test`).
    public static func exists(_ name: String) -> Bool {
        FileManager.default.isExecutableFile(atPath: path(name))
    }
}
