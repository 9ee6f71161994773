import FerryCore
import FerryScenario
import Foundation

/// The folder one side of a case runs in, made ready before it starts: the `source` folder copied
/// afresh, the `files` fixtures copied in, the `build` command run there.
///
/// Nothing is written to the original `source` or fixture files. A failure to prepare is a failed
/// check (`server.start` for a missing source, `server.build` for a failed build), not an error of
/// the run: with `--submissions`, one broken submission must not stop the others.
struct SideWorkspace {
    let side: CheckName.Side
    /// Absolute folder the side runs in.
    let folder: String
    /// The case's folder, for the build's log.
    let caseFolder: String
    /// Absolute paths of the fixtures copied in.
    private(set) var fixtures: Set<String> = []

    /// The side's folder for `spec`: its `cwd`, or `<case folder>/<side>`.
    init(side: CheckName.Side, spec: CommandSpec, caseFolder: String) {
        self.side = side
        folder = spec.cwd ?? "\(caseFolder)/\(side)"
        self.caseFolder = caseFolder
    }

    /// The most lines of a failed build quoted in its check.
    static let quotedBuildLines = 10

    /// Copies `source` and `files`, then runs `build`.
    /// - Returns: the checks this made (a build check when `build` is given), or a failed check that
    ///   means the side cannot start.
    /// - Parameter host: runs the build on the side's host (in its namespace: no network but the
    ///   case's own, and whatever it leaves running is killed with the namespace's processes by
    ///   `cleanUp`, before the side starts).
    mutating func prepare(
        _ spec: CommandSpec, scenarioFolder: String, values: [String: String], store: StoreSpec?, deadline: Date,
        environment: [String: String], host: BuildHost = BuildHost()
    ) -> (checks: [Check], ready: Bool) {
        do {
            try copySource(spec, scenarioFolder: scenarioFolder, values: values, store: store)
            try copyFixtures(spec, scenarioFolder: scenarioFolder, values: values)
            try host.stage(folder)
        } catch {
            return ([Check(name: CheckName.start(side), passed: false, detail: "\(error)")], false)
        }
        guard let build = spec.build else { return ([], true) }
        let check = runBuild(build.map { Placeholders.expand($0, with: values) }, deadline: deadline, environment: environment, host: host)
        return ([check], check.passed)
    }

    private func copySource(_ spec: CommandSpec, scenarioFolder: String, values: [String: String], store: StoreSpec?) throws {
        let manager = FileManager.default
        guard spec.cwd == nil else { return }
        if manager.fileExists(atPath: folder) { try manager.removeItem(atPath: folder) }
        guard let written = spec.source else {
            try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
            return
        }
        let source = CaseRunner.resolve(Placeholders.expand(written, with: values), in: scenarioFolder)
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: source, isDirectory: &isFolder), isFolder.boolValue else {
            throw FerryError("\(side).source: folder \(source) not found")
        }
        let realSource = Self.realPath(source) ?? source
        let realCase = Self.realPath(caseFolder) ?? caseFolder
        guard !(realCase + "/").hasPrefix(realSource + "/") else {
            throw FerryError("\(side).source: folder \(source) holds the case's folder \(folder): choose a --work-dir outside it")
        }
        do {
            try manager.copyItem(atPath: source, toPath: folder)
        } catch {
            throw FerryError("\(side).source: cannot copy \(source) to \(folder): \(error.localizedDescription)")
        }
        // Copies the source brought along (a student's own earlier run) are not the server's work.
        if let store, let namePattern = store.namePattern {
            let copies = CaseRunner.resolve(store.folder, in: folder)
            // Never delete through a symbolic link the source brought: only in the side's own copy.
            guard isInside(copies) else { return }
            let expression = Self.patternExpression(namePattern)
            for name in (try? manager.contentsOfDirectory(atPath: copies)) ?? [] where name.wholeMatch(of: expression) != nil {
                try? manager.removeItem(atPath: "\(copies)/\(name)")
            }
        }
    }

    /// `receive{n}.txt` as a regular expression over names: `receive[0-9]+\.txt`.
    static func patternExpression(_ pattern: String) -> Regex<Substring> {
        let parts = pattern.components(separatedBy: "{n}").map(NSRegularExpression.escapedPattern(for:))
        return (try? Regex<Substring>(parts.joined(separator: "[0-9]+"))) ?? /(?!)/
    }

    private mutating func copyFixtures(_ spec: CommandSpec, scenarioFolder: String, values: [String: String]) throws {
        let manager = FileManager.default
        for (name, written) in spec.files {
            let source = CaseRunner.resolve(Placeholders.expand(written, with: values), in: scenarioFolder)
            let target = "\(folder)/\(name)"
            let parent = URL(fileURLWithPath: target).deletingLastPathComponent().path
            do {
                // A symbolic link in the source must not carry a fixture, or a folder made for it,
                // out of the side's folder: the nearest folder that exists is checked first.
                var existing = URL(fileURLWithPath: parent)
                while !manager.fileExists(atPath: existing.path) { existing.deleteLastPathComponent() }
                guard isInside(existing.path) else {
                    throw FerryError("\(name): its folder leads out of \(folder) through a symbolic link")
                }
                try manager.createDirectory(atPath: parent, withIntermediateDirectories: true)
                guard isInside(parent) else {
                    throw FerryError("\(name): its folder leads out of \(folder) through a symbolic link")
                }
                if manager.fileExists(atPath: target) { try manager.removeItem(atPath: target) }
                try manager.copyItem(atPath: source, toPath: target)
            } catch let error as FerryError {
                throw FerryError("\(side).files: \(error.message)")
            } catch {
                throw FerryError("\(side).files: cannot copy \(source) to \(target): \(error.localizedDescription)")
            }
            fixtures.insert(URL(fileURLWithPath: target).standardizedFileURL.path)
        }
    }

    /// True when `path`, symbolic links resolved, is the side's folder or inside it.
    func isInside(_ path: String) -> Bool {
        guard let real = Self.realPath(path), let root = Self.realPath(folder) else { return false }
        return real == root || real.hasPrefix(root + "/")
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private func runBuild(_ command: [String], deadline: Date, environment: [String: String], host: BuildHost) -> Check {
        let name = CheckName.build(side)
        let child: ChildProcess
        // The build's whole output goes to its log; the first 16 MiB are kept to quote.
        let output = CapturedOutput(
            retention: .all(capBytes: 16 << 20), log: try? OutputLog(path: "\(caseFolder)/\(side)-build.log", command: command))
        defer { output.seal() }
        do {
            child = try ChildProcess(arguments: host.wrap(command), environment: environment, workingDirectory: folder, output: output)
        } catch {
            return Check(name: name, passed: false, detail: "\(error)")
        }
        let end = child.wait(until: deadline) ?? child.stop()
        child.stop()
        host.cleanUp()
        let lines = output.snapshot
        let shown = command.joined(separator: " ")
        guard end == .exited(0) else {
            let quoted = lines.suffix(Self.quotedBuildLines).map(\.quoted)
            let why = Date() >= deadline ? "did not finish within the case limit" : "ended with \(end)"
            return Check(name: name, passed: false, detail: "\(shown) \(why); the \(side) was not started", context: quoted)
        }
        return Check(name: name, passed: true, detail: "\(shown) succeeded")
    }
}

/// Where a side's build runs: the command wrapped for the side's host, what to do after it
/// (kill whatever the build left running there), and, for a side on another machine, how the
/// prepared folder gets there before the build (`stage`, given the local folder).
struct BuildHost {
    var wrap: ([String]) -> [String] = { $0 }
    var cleanUp: () -> Void = {}
    var stage: (String) throws -> Void = { _ in }
}
