import FerryCLI
import FerryCore
import Foundation

/// The executables `swift build` made, found next to the running test binary.
public enum BuiltProducts {
    /// The folder holding the test binary and the executables (`.build/debug`).
    public static var directory: String {
        var folder = URL(fileURLWithPath: ProcessSetup.binaryFolder())
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
