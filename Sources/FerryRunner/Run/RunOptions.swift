import FerryScenario
import Foundation
import Glibc

/// How a run goes, from the command line.
public struct RunOptions: Sendable {
    /// Where case folders go; each case gets `<workDirectory>/<case>`.
    public var workDirectory: String
    /// Keep the copies of passing cases too (failing cases always keep theirs).
    public var keep: Bool
    /// Folder holding Ferry's `server` and `client` executables.
    public var binaries: String
    /// 0 quiet, 1 normal, 2 verbose.
    public var verbosity: Int
    /// Cases (or submissions) run at once, each in its own namespaces.
    public var jobs: Int
    /// Judge timing budgets (`max_average_ms`) even with `jobs` above 1.
    public var judgeTimes: Bool
    /// Run only the cases whose names match this glob (`fnmatch`).
    public var filter: String?
    /// Start no further case after the first that fails.
    public var failFast: Bool
    /// `--set KEY=VALUE` overrides, applied to every scenario file and validated with it.
    public var overrides: [ScenarioOverride] = []
    /// Where running cases show their progress (on a terminal); nil for none.
    public var progress: ProgressBoard?
    /// Ferry's `server` and `client` built to run without Swift (`make dist`), copied to remote hosts.
    public var remoteBinaries = ""
    /// Remote hosts: fetch the copies and verify them here, instead of hashing them there.
    public var fetchCopies = false

    /// `workDirectory` is made absolute, since the children run in other folders.
    public init(
        workDirectory: String, keep: Bool, binaries: String, verbosity: Int, jobs: Int = 1, judgeTimes: Bool = false,
        filter: String? = nil, failFast: Bool = false
    ) {
        self.workDirectory = URL(fileURLWithPath: workDirectory).standardizedFileURL.path
        self.keep = keep
        self.binaries = binaries
        self.verbosity = verbosity
        self.jobs = jobs
        self.judgeTimes = judgeTimes
        self.filter = filter
        self.failFast = failFast
    }

    /// True when `name` is to run under `filter`.
    public func selects(_ name: String) -> Bool {
        guard let filter else { return true }
        return fnmatch(filter, name, 0) == 0
    }
}
