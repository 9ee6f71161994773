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

    /// Without root the default scenario falls back to this machine, where 10.99.0.2 is not an
    /// address: one line saying so before anything starts, not a server that fails to bind. As
    /// root the runner is run as `nobody` (setpriv), so the test means the same everywhere.
    @Test func theDefaultScenarioWithoutRootSaysWhyInOneLine() throws {
        defer { folder.remove() }
        let own = try InterfaceAddress.current().map(\.address)
        guard !own.contains("10.99.0.2") else {
            print("skipped: this machine has 10.99.0.2 itself")
            return
        }
        let work = folder.file("unprivileged")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        chmod(work, 0o777)
        chmod(folder.path, 0o755)
        let asNobody = getuid() == 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : []
        let child = try ChildProcess(arguments: asNobody + [
            BuiltProducts.path("runner"), "\(repositoryRoot())/scenarios/default.yaml", "--work-dir", "\(work)/w"])
        let status = child.wait(until: Date().addingTimeInterval(60)) ?? child.stop()
        let lines = child.output.snapshot
        #expect(status == .exited(3))
        #expect(lines.filter { $0.stream == .stderr }.map(\.text) == [
            "runner: \(repositoryRoot())/scenarios/default.yaml: isolation host (auto: creating network namespaces needs root "
                + "(or CAP_NET_ADMIN and CAP_SYS_ADMIN)): server_ip 10.99.0.2 is not an address of this machine; give it "
                + "to a network namespace (isolation: namespaces, as root), or pass --set network.server_ip=auto to use this machine's own address",
        ])
        #expect(lines.filter { $0.stream == .stdout }.isEmpty)
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

    /// CI must be able to read how a run went even when it stopped at once: an invalid scenario is
    /// exit 2 and still a JUnit file with one `<error>` and a JSON with the same reason; a report
    /// path whose folder is missing is exit 2 before anything runs.
    @Test func reportsAreWrittenForAnInvalidScenarioAndTheirPathsCheckedFirst() throws {
        defer { folder.remove() }
        let path = try scenario("typo.yaml", "transfer:\n  file: files/sample.txt\n  protocol: tcpp\n")
        let junit = folder.file("out.xml")
        let json = folder.file("out.json")
        let child = try ChildProcess(arguments: [BuiltProducts.path("runner"), path, "--junit", junit, "--json", json, "--github",
                                                 "--work-dir", folder.file("work")])
        #expect(child.wait(until: Date().addingTimeInterval(60)) == .exited(2))
        let reason = "\(path):3:13: 'protocol' must be one of tcp, udp, rudp, not 'tcpp'"
        let stdout = child.output.snapshot.filter { $0.stream == .stdout }.map(\.text)
        #expect(stdout.contains { $0.hasPrefix("::error file=") && $0.hasSuffix(",line=3,title=runner::\(reason)") })
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("<error message=\"\(Markup.escape(reason))\""))
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
        #expect(object?["error"] as? String == reason)

        let nowhere = folder.file("no/such/folder/out.xml")
        let early = try ChildProcess(arguments: [BuiltProducts.path("runner"), path, "--junit", nowhere, "--work-dir", folder.file("work")])
        #expect(early.wait(until: Date().addingTimeInterval(60)) == .exited(2))
        #expect(early.output.snapshot.filter { $0.stream == .stderr }.map(\.text)
            == ["runner: --junit \(nowhere): folder \(folder.file("no/such/folder")) does not exist"])
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

    /// The long options a built executable's `--help` lists.
    private func helpOptions(_ program: String) throws -> Set<String> {
        let child = try ChildProcess(arguments: [BuiltProducts.path(program), "--help"])
        _ = child.wait(until: Date().addingTimeInterval(20))
        let lines = child.output.snapshot.filter { $0.stream == .stdout }.map(\.text)
        return Set(lines.compactMap { line in
            line.firstMatch(of: /^  (?:-\w, )?--([a-z][a-z-]*)/).map { "--" + String($0.1) }
        }).subtracting(["--help"])
    }

    /// The options a doc's table lists between `heading` and the next `## ` heading.
    private func documentedOptions(_ doc: String, after heading: String) throws -> Set<String> {
        let text = try String(contentsOfFile: "\(repositoryRoot())/docs/\(doc)", encoding: .utf8)
        guard let start = text.range(of: heading + "\n") else { return [] }
        let section = text[start.upperBound...].components(separatedBy: "\n## ").first ?? ""
        return Set(section.split(separator: "\n").compactMap { line in
            line.firstMatch(of: /^\| `(--[a-z][a-z-]*)/).map { String($0.1) }
        })
    }

    @Test func everyOptionInHelpIsDocumentedAndNoOther() throws {
        for (program, doc, heading) in [("server", "usage.md", "## server"), ("client", "usage.md", "## client"), ("runner", "runner.md", "# runner")] {
            let shown = try helpOptions(program)
            let documented = try documentedOptions(doc, after: heading)
            #expect(!shown.isEmpty)
            #expect(shown == documented, "\(program): only in --help: \(shown.subtracting(documented).sorted()); only in docs/\(doc): \(documented.subtracting(shown).sorted())")
        }
    }

    @Test func diagnosticsComeAfterTheStdoutLinesBeforeThem() throws {
        defer { folder.remove() }
        // stdout into a pipe is held back; a diagnostic must write it out first. Both streams go
        // into one pipe here, so the order they were written in is the order read.
        let client = "\(BuiltProducts.path("client")) --server 127.0.0.1 --port 1 --file \(sample) --allow-loopback --connect-timeout 200ms"
        let child = try ChildProcess(arguments: ["sh", "-c", "\(client) 2>&1"])
        #expect(child.wait(until: Date().addingTimeInterval(30)) == .exited(1))
        let lines = child.output.snapshot.map(\.text)
        #expect(lines == [
            "I am connecting to server side: 127.0.0.1",
            "I am sending file \"sample.txt\" for the 1st time",
            "client: cannot reach the server at 127.0.0.1:1 within 0.2 s: connect 127.0.0.1:1: Connection refused; "
                + "is the server running, not finished with its --count, and using the same --port and --protocol (tcp)?",
        ])
    }

    /// Lines into a pipe are held while clients keep coming; the server sleeps in `accept` itself,
    /// and after 50 ms without a client what it holds must still go out, not wait for the next one.
    @Test func theServerWritesOutHeldLinesWhenNoClientComes() throws {
        defer { folder.remove() }
        let port = try freeLoopbackPort()
        let server = try ChildProcess(arguments: [BuiltProducts.path("server")] + [
            "--ip", "127.0.0.1", "--allow-loopback", "--port", "\(port)", "--standard", sample, "--count", "2",
            "--store", folder.file("store")])
        defer { _ = server.stop() }
        let ready = server.output.waitForLine(until: Date().addingTimeInterval(20)) { $0.text == Messages.serverReady.text }
        #expect(ready)
        let client = try ChildProcess(arguments: [BuiltProducts.path("client")] + [
            "--server", "127.0.0.1", "--allow-loopback", "--port", "\(port)", "--file", sample, "--count", "1"])
        #expect(client.wait(until: Date().addingTimeInterval(20)) == .exited(0))
        // The first transfer's last line, written while the server waits for a second client.
        let finished = Messages.serverFinishing.line(file: "sample.txt", n: 1)
        let seen = server.output.waitForLine(until: Date().addingTimeInterval(10)) { $0.text == finished }
        #expect(seen, "\(server.output.snapshot.map(\.quoted))")
        #expect(server.isRunning)
    }

    /// With every descriptor in use, `accept` fails at once while connections wait in the kernel's
    /// queue, and the listener stays readable: the server says so once and tries again every
    /// 0.1 s instead of in a loop, and serves the waiting client once descriptors are free again.
    @Test func aServerOutOfDescriptorsSaysSoOnceAndServesTheClientLater() throws {
        defer { folder.remove() }
        let port = try freeLoopbackPort()
        let limit = 32
        let server = try ChildProcess(arguments: ["sh", "-c", "ulimit -n \(limit) && exec \"$0\" \"$@\"", BuiltProducts.path("server"),
            "--ip", "127.0.0.1", "--allow-loopback", "--port", "\(port)", "--standard", sample, "--count", "1", "--store", folder.file("store"), "--header-timeout", "30s"])
        defer { _ = server.stop() }
        #expect(server.output.waitForLine(until: Date().addingTimeInterval(20)) { $0.text == Messages.serverReady.text })
        // Connections that send nothing, more than the server has descriptors left: it takes them
        // (after TCP_DEFER_ACCEPT's second) and they wait for their headers, until `accept` finds
        // no descriptor for the next. Closed, they are not counted as transfers.
        let address = try SocketAddress(host: "127.0.0.1", port: UInt16(port))
        var silent: [Socket] = []
        defer { for socket in silent { socket.close() } }
        for _ in 0..<limit {
            let socket = try Socket(family: AF_INET, type: SOCK_STREAM, context: "silent")
            silent.append(socket)
            try socket.connect(to: address, timeoutNanoseconds: 5_000_000_000)
        }
        let exhausted = "server: accept 127.0.0.1:\(port): Too many open files; trying again every 0.1 s "
            + "(connections wait in the kernel's queue meanwhile)"
        #expect(server.output.waitForLine(until: Date().addingTimeInterval(20)) { $0.text == exhausted },
                "\(server.output.snapshot.suffix(5).map(\.quoted))")
        // The client's connection waits in the queue behind the silent ones.
        let client = try ChildProcess(arguments: [BuiltProducts.path("client"),
            "--server", "127.0.0.1", "--allow-loopback", "--port", "\(port)", "--file", sample, "--count", "1"])
        defer { _ = client.stop() }
        // Ten tries later, still one line.
        Thread.sleep(forTimeInterval: 1)
        let said = server.output.snapshot.filter { $0.stream == .stderr }.map(\.text)
        #expect(said == [exhausted], "\(said.suffix(5))")
        for socket in silent { socket.close() }
        silent = []
        #expect(client.wait(until: Date().addingTimeInterval(20)) == .exited(0), "\(client.output.snapshot.map(\.quoted))")
        #expect(server.wait(until: Date().addingTimeInterval(20)) == .exited(0), "\(server.output.snapshot.suffix(5).map(\.quoted))")
    }

    private func run(_ program: String, _ arguments: [String]) throws -> (status: Termination?, stderr: [String]) {
        let child = try ChildProcess(arguments: [BuiltProducts.path(program)] + arguments)
        let status = child.wait(until: Date().addingTimeInterval(30)) ?? child.stop()
        return (status, child.output.snapshot.filter { $0.stream == .stderr }.map(\.text))
    }

    @Test func badCountsAndResultPathsAreRefusedAtStart() throws {
        defer { folder.remove() }
        let base = ["--ip", "127.0.0.1", "--allow-loopback", "--port", "5001", "--standard", sample]
        let negative = try run("server", base + ["--count", "-1"])
        #expect(negative.status == .exited(64))
        #expect(negative.stderr == ["server: --count -1: must be at least 1 (see 'server --help')"])
        let unwritable = try run("server", base + ["--json", folder.file("nowhere/results.json")])
        #expect(unwritable.status == .exited(64))
        #expect(unwritable.stderr == ["server: --json \(folder.file("nowhere/results.json")): cannot write in \(folder.file("nowhere")): No such file or directory (see 'server --help')"])
        let folderPath = try run("client", ["--server", "127.0.0.1", "--allow-loopback", "--port", "5001", "--file", sample, "--json", folder.path])
        #expect(folderPath.stderr == ["client: --json \(folder.path): is a folder (see 'client --help')"])
    }

    @Test func aServerThatCannotBindLeavesNoStoreFolder() throws {
        defer { folder.remove() }
        let taken = try Socket(family: AF_INET, type: SOCK_STREAM, context: "taken")
        defer { taken.close() }
        try taken.bind(to: SocketAddress(host: "127.0.0.1", port: 0))
        try taken.listen()
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(taken.descriptor, $0, &length) }
        }
        let port = UInt16(bigEndian: address.sin_port)
        let store = folder.file("store")
        let result = try run("server", ["--ip", "127.0.0.1", "--allow-loopback", "--port", String(port), "--standard", sample, "--store", store])
        #expect(result.status == .exited(1))
        #expect(result.stderr == ["server: bind 127.0.0.1:\(port): Address already in use"])
        #expect(!FileManager.default.fileExists(atPath: store))
    }

    @Test func everyExecutableSaysItsVersion() throws {
        for program in ["server", "client", "runner", "bench"] {
            let child = try ChildProcess(arguments: [BuiltProducts.path(program), "--version"])
            #expect(child.wait(until: Date().addingTimeInterval(20)) == .exited(0))
            #expect(child.output.snapshot.map(\.text) == [FerryVersion.string], "\(program)")
        }
    }

    @Test func listShowsTheCasesAndFilterSelectsThem() throws {
        defer { folder.remove() }
        let path = "\(repositoryRoot())/scenarios/tcp-vs-udp.yaml"
        let child = try ChildProcess(arguments: [BuiltProducts.path("runner"), "--list", path, "--filter", "tcp-vs-udp\\[rudp*"])
        #expect(child.wait(until: Date().addingTimeInterval(20)) == .exited(0))
        #expect(child.output.snapshot.map(\.text) == ["0%", "1%", "5%"].map {
            "\(path): tcp-vs-udp[rudp,1400,loss \($0)]  rudp  buffer 1400  loss \($0)  100 transfers"
        })
        let unmatched = try ChildProcess(arguments: [
            BuiltProducts.path("runner"), path, "--filter", "nothing*", "--work-dir", folder.file("work"),
        ])
        #expect(unmatched.wait(until: Date().addingTimeInterval(60)) == .exited(2))
        #expect(unmatched.output.snapshot.filter { $0.stream == .stderr }.map(\.text) == ["runner: --filter nothing*: no case matches"])
    }
}

/// `runner --dry-run`: validated, planned and printed; nothing made, nothing started.
@Suite(.enabled(if: TestHosts.available, Comment(rawValue: TestHosts.skipComment)))
struct DryRunTests {
    @Test func aDryRunPrintsHostsAndFilledCommandsAndMakesNothing() throws {
        let folder = try TemporaryDirectory("ferry-dry")
        defer { folder.remove() }
        try folder.copySample()
        let path = try folder.write("s.yaml", bytes: Array("""
            name: dry
            network: {isolation: namespaces, server_ip: 10.77.0.2}
            transfer: {file: files/sample.txt, port: 6200, repetitions: 7}
            client: {command: [python3, client.py, "{server_ip}", "{port}", "{file}"]}
            """.utf8))
        let work = folder.file("work")
        let child = try ChildProcess(arguments: [BuiltProducts.path("runner"), path, "--dry-run", "--set", "transfer.repetitions=9",
                                                 "--work-dir", work])
        #expect(child.wait(until: Date().addingTimeInterval(60)) == .exited(0))
        let lines = child.output.snapshot.filter { $0.stream == .stdout }.map(\.text)
        #expect(lines.first == "\(path): dry  (namespaces: server 10.77.0.2, client 10.99.0.1)")
        #expect(lines.contains { $0.hasPrefix("  server: ") && $0.contains("--ip 10.77.0.2 --port 6200") && $0.contains("--count 9") })
        #expect(lines.contains("  client: python3 client.py 10.77.0.2 6200 sample.txt"), "\(child.output.snapshot.map(\.text))")
        #expect(lines.allSatisfy { !$0.contains("{") })
        // Nothing made: no work folder, no namespace.
        #expect(!FileManager.default.fileExists(atPath: work))
    }
}
