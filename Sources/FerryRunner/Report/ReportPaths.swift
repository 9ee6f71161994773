import Foundation

/// The check made before anything runs: every report asked for can be written where it was asked.
enum ReportPaths {
    /// `--junit out/junit.xml: folder out does not exist`; nil when every path is fine.
    static func problem(_ request: RunRequest) -> String? {
        var paths: [(String, String?)] = [("--junit", request.junitPath), ("--json", request.jsonPath), ("--html", request.htmlPath)]
        // With --submissions the score file goes into each submission's work folder, made later.
        if request.submissionsFolder == nil { paths.append(("--score", request.scorePath)) }
        for case let (option, path?) in paths {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                return "\(option) \(path): is a folder; give a file name"
            }
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                return "\(option) \(path): folder \(folder) does not exist"
            }
            guard access(folder, W_OK) == 0 else { return "\(option) \(path): cannot write in folder \(folder)" }
        }
        return nil
    }
}
