import FerryCore
import FerryRunner
import Foundation

/// `bench --grading`: the runner grading 8 copies of an example submission with `--jobs 1` and
/// with `--jobs 4`, alternately, round by round; reports the medians, the median of the per-round
/// speed-ups, and whether the scores were the same.
public struct GradingBench {
    public let runner: String
    /// `scenarios/grading`: the scenario and its submissions.
    public let example: String
    public let workFolder: String
    public let rounds: Int
    public let copies = 8
    public let widths = [1, 4]

    public init(binaries: String, example: String, workFolder: String, rounds: Int) {
        runner = "\(binaries)/runner"
        self.example = example
        self.workFolder = workFolder
        self.rounds = rounds
    }

    /// The report's lines.
    public func report(log: (String) -> Void) throws -> [String] {
        let submissions = "\(workFolder)/submissions"
        let manager = FileManager.default
        try? manager.removeItem(atPath: workFolder)
        try manager.createDirectory(atPath: submissions, withIntermediateDirectories: true)
        for index in 1...copies {
            try manager.copyItem(atPath: "\(example)/submissions/alice", toPath: "\(submissions)/alice\(index)")
        }
        var seconds: [Int: [Double]] = [:]
        var scores: [Int: Set<String>] = [:]
        for round in 0..<rounds {
            for width in round % 2 == 0 ? widths : widths.reversed() {
                let work = "\(workFolder)/work-\(width)-\(round)"
                let started = Date()
                let child = try ChildProcess(arguments: [
                    runner, "\(example)/grading.yaml", "--submissions", submissions, "--jobs", String(width), "--work-dir", work, "--quiet",
                ])
                let end = child.wait(until: Date().addingTimeInterval(600)) ?? child.stop()
                let elapsed = Date().timeIntervalSince(started)
                guard end == .exited(0) || end == .exited(1) else { throw FerryError("runner --jobs \(width) ended with \(end)") }
                seconds[width, default: []].append(elapsed)
                scores[width, default: []].insert(try String(contentsOfFile: "\(work)/\(ScoreReport.csvName)", encoding: .utf8))
                log("  grading \(copies) submissions  round \(round + 1)  --jobs \(width): \(Formatting.fixed(elapsed, decimals: 2)) s")
                try? manager.removeItem(atPath: work)
            }
        }
        let median = { (values: [Double]) in values.sorted()[values.count / 2] }
        let ratios = zip(seconds[1] ?? [], seconds[4] ?? []).map { $0 / max($1, 0.001) }
        let same = Set((scores[1] ?? []).union(scores[4] ?? [])).count == 1
        return [
            "| --jobs | seconds (median of \(rounds)) |",
            "| ---: | ---: |",
            "| 1 | \(Formatting.fixed(median(seconds[1] ?? [0]), decimals: 2)) |",
            "| 4 | \(Formatting.fixed(median(seconds[4] ?? [0]), decimals: 2)) |",
            "",
            "speed-up of --jobs 4 per round: \(ratios.map { Formatting.fixed($0, decimals: 2) }.joined(separator: ", ")); "
                + "median \(Formatting.fixed(median(ratios), decimals: 2))",
            "scores identical across every run: \(same ? "yes" : "NO")",
        ]
    }
}
