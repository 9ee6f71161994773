// libFuzzer target for message matching: the first line is a template, the rest are output lines,
// matched exactly and loosely. Built into module FerryScenario by `make fuzz`, not by SwiftPM.
// Properties: no crash, no trap; a line the regular expression matches is never skipped for
// lacking the template's required text; `TemplateScanner` finds what the regular expression finds;
// the incremental matcher judges as the reference does, whether it keeps the lines since the last
// match or reads them again.

import FerryCore

@_cdecl("LLVMFuzzerTestOneInput")
public func ferryTemplateFuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard !lines.isEmpty else { return 0 }
    let template = lines.removeFirst()
    let values = ["file": "sample.txt", "server_ip": "10.99.0.2"]
    for options in [MatchOptions(), MatchOptions.loose, MatchOptions(counterBase: 0)] {
        let rules = [MessageRule(.each, template), MessageRule(.once, template), MessageRule(.contains, template)]
        let reference = MessageMatcher(rules: rules, values: values, repetitions: 3, options: options).check(stdout: lines, stderr: lines)
        for kept in [IncrementalMatcher.defaultKeptLines, 0] {
            var incremental = IncrementalMatcher(rules: rules, values: values, repetitions: 3, options: options, keptLines: kept)
            for line in lines {
                incremental.stderr(line)
                incremental.stdout(line)
            }
            precondition(incremental.finish { AnySequence(lines.dropFirst($0)) } == reference, "incremental and reference disagree")
        }
        if let compiled = try? MessageTemplate(template, values: values, normalizer: LineNormalizer(options)) {
            for line in lines.map(LineNormalizer(options).normalize) {
                if compiled.expressionMatch(line) != nil {
                    precondition(compiled.mayMatch(line), "a matching line was skipped for lacking the required text")
                }
                for transfer in [nil, 1, 2, 11] {
                    precondition(compiled.match(line, transfer: transfer) == compiled.expressionMatch(line, transfer: transfer),
                                 "the scanner and the regular expression disagree")
                }
            }
        }
        _ = LineNormalizer(options).normalize(text)
    }
    return 0
}
