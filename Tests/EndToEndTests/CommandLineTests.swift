import FerryCore
import FerryRunner
import FerryTestSupport
import Foundation
import Testing

/// The built executables on bad input: one line, the right exit status. Needs no privileges.
@Suite struct CommandLineTests {
    let folder: TemporaryDirectory
    let sample = "\(repositoryRoot())/scenarios/files/sample.txt"

    init() throws {
        folder = try TemporaryDirectory("ferry-cli")
        try folder.copySample()
    }

    private func scenario(_ name: String, _ text: String) throws -> String {
        try folder.write(name, bytes: Array(text.utf8))
    }

    private func runner(_ path: String) throws -> (status: Termination?, stderr: [String]) {
        let child = try ChildProcess(arguments: [BuiltProducts.path("runner"), path, "--work-dir", folder.file("work")])
        let status = child.wait(until: Date().addingTimeInterval(60)) ?? child.stop()
        return (status, child.output.snapshot.filter { $0.stream == .stderr }.map(\.text))
    }

    @Test func loopbackIsRefusedWithOneLine() throws {
        defer { folder.remove() }
        let child = try ChildProcess(arguments: [BuiltProducts.path("server")] + ["--ip", "127.0.0.1", "--port", "5001", "--standard", sample])
        let end = child.wait(until: Date().addingTimeInterval(20))
        #expect(end == .exited(1))
        let stderr = child.output.snapshot.filter { $0.stream == .stderr }.map(\.text)
        #expect(stderr == ["server: 127.0.0.1 is a loopback address: the assignment requires a real network address, not 127.0.0.0/8, ::1 or localhost (pass --allow-loopback to use it anyway)"])
    }

    @Test func malformedYAMLIsExitTwoWithPosition() throws {
        defer { folder.remove() }
        let path = try scenario("bad.yaml", "name: bad\ntransfer:\n  file: files/sample.txt\n  port: [5001\n")
        let output = try runner(path)
        #expect(output.status == .exited(2))
        #expect(output.stderr.first == "\(path):5:1: did not find expected ',' or ']' while parsing a flow sequence")
        let typo = try scenario("typo.yaml", "transfer:\n  file: files/sample.txt\n  repetitons: 3\n")
        let second = try runner(typo)
        #expect(second.status == .exited(2))
        #expect(second.stderr.first == "\(typo):3:3: unknown key 'repetitons' in 'transfer' (did you mean 'repetitions'?)")
        let missing = try runner(folder.file("nowhere.yaml"))
        #expect(missing.status == .exited(2))
        #expect(missing.stderr == ["runner: \(folder.file("nowhere.yaml")): cannot read the scenario file"])
    }

    @Test func deeplyNestedYAMLIsExitTwoNotACrash() throws {
        defer { folder.remove() }
        let nested = String(repeating: "{a: ", count: 10_000) + "1" + String(repeating: "}", count: 10_000)
        let path = try scenario("deep.yaml", "description: \(nested)\ntransfer:\n  file: files/sample.txt\n")
        let output = try runner(path)
        #expect(output.status == .exited(2))
        #expect(output.stderr.first == "\(path):1:266: nested deeper than 64 levels")
        #expect(output.stderr.count == 3)
        #expect(output.stderr.allSatisfy { $0.count <= 110 })
    }
}
