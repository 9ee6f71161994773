// libFuzzer target for scenario files: libyaml's events, the node tree (depth, aliases, merge
// keys) and the typed decoding. Built into module FerryScenario by `make fuzz`, not by SwiftPM.
// Input: any bytes as UTF-8 text. Property: a Scenario or a SourceError, never a crash.

import FerryCore

@_cdecl("LLVMFuzzerTestOneInput")
public func ferryScenarioFuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    do {
        _ = try ScenarioLoader.decode(text, path: "/tmp/ferry-fuzz/scenario.yaml")
    } catch let error as SourceError {
        _ = error.description
    } catch {}
    return 0
}
