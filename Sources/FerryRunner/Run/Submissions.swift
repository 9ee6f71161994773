import FerryCore
import FerryScenario
import Foundation

/// The submissions `--submissions DIR` judges: every immediate subfolder of DIR, sorted by name.
enum Submissions {
    /// The subfolders of `folder` (hidden ones left out, and one that holds `workFolder`, which is
    /// not a submission: `note` says so), in natural name order.
    /// - Throws: `FerryRunError.invalidScenario` when `folder` is missing or holds no subfolder.
    static func list(in folder: String, notHolding workFolder: String? = nil, note: (String) -> Void = { _ in }) throws -> [Submission] {
        let root = URL(fileURLWithPath: folder).standardizedFileURL.path
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: root) else {
            throw FerryRunError.invalidScenario("--submissions \(folder): not a readable folder")
        }
        let work = workFolder.flatMap(SideWorkspace.realPath) ?? workFolder
        let folders = names.filter { name in
            var isFolder: ObjCBool = false
            guard !name.hasPrefix("."), manager.fileExists(atPath: "\(root)/\(name)", isDirectory: &isFolder), isFolder.boolValue else {
                return false
            }
            let real = SideWorkspace.realPath("\(root)/\(name)") ?? "\(root)/\(name)"
            if let work, work == real || work.hasPrefix(real + "/") {
                note("--submissions: \(name) holds the work folder, so it is not a submission")
                return false
            }
            return true
        }
        guard !folders.isEmpty else { throw FerryRunError.invalidScenario("--submissions \(folder): no submission folders in it") }
        // `a b` and `a-b` make the same safe folder name: the later ones get -2, -3, ...
        var taken: Set<String> = []
        return folders.sorted(by: NaturalOrder.precedes).map { name in
            let base = CaseRunner.folderName(name)
            var unique = base
            var number = 2
            while taken.contains(unique) {
                unique = "\(base)-\(number)"
                number += 1
            }
            taken.insert(unique)
            return Submission(name: name, path: "\(root)/\(name)", workFolder: unique)
        }
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
