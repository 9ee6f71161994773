import FerryCore
import Foundation

extension ProcessSetup {
    /// The folder holding Ferry's executables: `FERRY_BIN_DIR` when set, else the folder of the
    /// running executable (`/proc/self/exe`), where `swift build` puts them all.
    public static func binaryFolder() -> String {
        if let folder = ProcessInfo.processInfo.environment["FERRY_BIN_DIR"] { return folder }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent().path
    }
}
