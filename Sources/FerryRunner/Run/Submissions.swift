import FerryCore
import FerryScenario
import Foundation

/// The submissions `--submissions DIR` judges: every immediate subfolder of DIR, sorted by name.
enum Submissions {
    /// The subfolders of `folder` (hidden ones left out), in natural name order.
    /// - Throws: `FerryRunError.invalidScenario` when `folder` is missing or holds no subfolder.
    static func list(in folder: String) throws -> [Submission] {
        let root = URL(fileURLWithPath: folder).standardizedFileURL.path
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: root) else {
            throw FerryRunError.invalidScenario("--submissions \(folder): not a readable folder")
        }
        let folders = names.filter { name in
            var isFolder: ObjCBool = false
            return !name.hasPrefix(".") && manager.fileExists(atPath: "\(root)/\(name)", isDirectory: &isFolder) && isFolder.boolValue
        }
        guard !folders.isEmpty else { throw FerryRunError.invalidScenario("--submissions \(folder): no submission folders in it") }
        return folders.sorted(by: NaturalOrder.precedes).map { Submission(name: $0, path: "\(root)/\($0)") }
    }

    /// A scenario that names `{submission}` needs `--submissions`.
    static func checkPlaceholders(_ scenarios: [Scenario], judgingSubmissions: Bool) throws {
        guard !judgingSubmissions else { return }
        for scenario in scenarios {
            var texts: [String] = []
            for side in [scenario.server, scenario.client].compactMap({ $0 }) {
                texts += side.command
                texts += side.build ?? []
                texts += side.files.map(\.path)
                if let source = side.source { texts.append(source) }
            }
            if texts.contains(where: { $0.contains("{submission}") || $0.contains("{submission_name}") }) {
                throw FerryRunError.invalidScenario("\(scenario.path): uses {submission}: run it with --submissions DIR")
            }
        }
    }
}
