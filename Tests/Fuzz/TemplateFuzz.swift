// libFuzzer target for message matching: the first line is a template, the rest are output lines,
// matched exactly and loosely. Built into module FerryScenario by `make fuzz`, not by SwiftPM.
// Property: no crash, no trap; a line either matches or not.

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
        _ = MessageMatcher(rules: rules, values: values, repetitions: 3, options: options).check(stdout: lines, stderr: lines)
        _ = LineNormalizer(options).normalize(text)
    }
    return 0
}
