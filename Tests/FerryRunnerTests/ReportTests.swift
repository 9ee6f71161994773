import FerryCore
@testable import FerryRunner
import FerryScenario
import FerryTestSupport
import Foundation
import FoundationXML
import Testing

/// Counts elements and collects attributes while parsing XML; fails on malformed input.
final class ElementCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    var attributes: [String: [[String: String]]] = [:]
    var text = ""

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes attributeDict: [String: String] = [:]) {
        counts[name, default: 0] += 1
        attributes[name, default: []].append(attributeDict)
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }
}

func sampleResult(name: String, scenario: String, passed: Bool) -> CaseResult {
    CaseResult(
        name: name, scenario: scenario, scenarioName: "demo", transport: "tcp", bufferSize: 4096, repetitions: 3,
        isolation: "namespaces",
        checks: [
            Check(name: "server_exit", passed: true, detail: "expected exit status 0, got exit status 0"),
            Check(name: "server_messages", passed: passed, detail: "missing line for transfer 2: \"I am <done>\" & more",
                  context: ["1: I am ready"]),
        ],
        incorrect: passed ? 0 : 1, verified: Verification(identical: passed ? 3 : 2, differing: passed ? 0 : 1, missing: 0),
        serverTimes: [0.1, 0.2, 0.3], clientTimes: [0.2, 0.3, 0.4], serverAverage: 0.2, clientAverage: 0.3, duration: 0.5,
        folder: "/tmp/x", serverRecent: [CapturedLine(stream: .stdout, time: 0, text: "I am ready \u{1}<ok>")], clientRecent: [],
        droppedOutput: 0)
}

@Suite struct ReportTests {
    let results = [
        sampleResult(name: "a", scenario: "one.yaml", passed: true),
        sampleResult(name: "b[tcp,4096]", scenario: "one.yaml", passed: false),
        sampleResult(name: "c", scenario: "two.yaml", passed: true),
    ]

    private let run = RunInfo(
        startedAt: Date(timeIntervalSince1970: 1_795_000_000), hostname: "lab-7", workingDirectory: "/work/course",
        arguments: ["runner", "scenarios/one.yaml", "--junit", "out dir/j.xml"])

    @Test func junitIsWellFormedWithTheRightCounts() throws {
        let xml = JUnitReport.render(results)
        let parser = XMLParser(data: Data(xml.utf8))
        let counter = ElementCounter()
        parser.delegate = counter
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(counter.counts["testsuites"] == 1)
        #expect(counter.counts["testsuite"] == 2)
        #expect(counter.counts["testcase"] == 3)
        #expect(counter.counts["failure"] == 1)
        // Output only for the failed case.
        #expect(counter.counts["system-out"] == 1)
        let suites = counter.attributes["testsuite"] ?? []
        #expect(suites.map { $0["tests"] } == ["2", "1"])
        #expect(suites.map { $0["failures"] } == ["1", "0"])
        #expect(counter.attributes["testsuites"]?.first?["failures"] == "1")
        #expect(counter.attributes["failure"]?.first?["message"] == "server_messages: missing line for transfer 2: \"I am <done>\" & more")
        #expect(counter.text.contains("I am ready <ok>"))
    }

    /// CI tools place a case by classname, file and line, and a suite by time and host.
    @Test func junitNamesThePlaceOfEachCase() throws {
        var cases = results
        cases[0].scenario = "/work/course/scenarios/one.yaml"
        cases[0].line = 3
        let counter = ElementCounter()
        let parser = XMLParser(data: Data(JUnitReport.render(cases, run: run).utf8))
        parser.delegate = counter
        #expect(parser.parse())
        let first = try #require(counter.attributes["testcase"]?.first)
        #expect(first["classname"] == "scenarios/one.yaml")
        #expect(first["file"] == "scenarios/one.yaml")
        #expect(first["line"] == "3")
        let suite = try #require(counter.attributes["testsuite"]?.first)
        #expect(suite["hostname"] == "lab-7")
        #expect(suite["timestamp"]?.hasSuffix("Z") == true && suite["timestamp"]?.count == 20)
    }

    /// A run that stopped before judging (exit 2 or 3) is still one readable test case with an error.
    @Test func aRunThatStoppedIsOneErrorInEveryReport() throws {
        var stopped = run
        stopped.error = "scenarios/one.yaml:4:9: 'protocol' must be one of tcp, udp, rudp, not 'tcpp'"
        stopped.errorFile = "scenarios/one.yaml"
        stopped.errorLine = 4
        let counter = ElementCounter()
        let parser = XMLParser(data: Data(JUnitReport.render([], run: stopped).utf8))
        parser.delegate = counter
        #expect(parser.parse())
        #expect(counter.counts["testcase"] == 1)
        #expect(counter.attributes["error"]?.first?["message"] == stopped.error)
        #expect(counter.attributes["testcase"]?.first?["line"] == "4")
        #expect(counter.attributes["testsuites"]?.first?["errors"] == "1")
        let object = try #require(JSONSerialization.jsonObject(with: try JSONReport.render([], run: stopped)) as? [String: Any])
        #expect(object["error"] as? String == stopped.error)
        #expect((object["cases"] as? [Any])?.isEmpty == true)
        #expect(GitHubAnnotations.lines([], run: stopped)
            == ["::error file=scenarios/one.yaml,line=4,title=runner::scenarios/one.yaml:4:9: 'protocol' must be one of tcp, udp, rudp, not 'tcpp'"])
    }

    @Test func githubAnnotationsNameEachFailedCheck() {
        var cases = results
        cases[1].scenario = "/work/course/scenarios/one.yaml"
        cases[1].line = 2
        #expect(GitHubAnnotations.lines(cases, run: run) == [
            "::error file=scenarios/one.yaml,line=2,title=b[tcp%2C4096]%3A server_messages::missing line for transfer 2: \"I am <done>\" & more",
        ])
        #expect(GitHubAnnotations.data("50%\nmore") == "50%25%0Amore")
    }

    @Test func jsonHasTheDocumentedKeys() throws {
        let data = try JSONReport.render(results)
        let object = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try #require(object["cases"] as? [[String: Any]])
        #expect(cases.count == 3)
        let first = cases[0]
        for key in ["name", "scenario", "protocol", "buffer_size", "passed", "checks", "repetitions", "incorrect", "server", "client", "verified",
                    "line", "started_at"] {
            #expect(first[key] != nil, "missing \(key)")
        }
        // Keys that do not apply are there, as null.
        for key in ["loss_percent", "impairment", "datagrams_lost", "submission"] { #expect(first[key] is NSNull, "\(key) not null") }
        #expect(object["schema_version"] as? Int == 1)
        #expect(object["error"] is NSNull)
        let summary = try #require(object["summary"] as? [String: Any])
        #expect(summary["passed"] as? Int == 2 && summary["failed"] as? Int == 1)
        #expect(summary["ferry_version"] as? String == FerryVersion.string)
        for key in ["duration_s", "started_at", "hostname", "command_line"] { #expect(summary[key] != nil, "missing summary.\(key)") }
        let server = try #require(first["server"] as? [String: Any])
        for key in ["average_ms", "min_ms", "median_ms", "p90_ms", "p99_ms", "max_ms"] { #expect(server[key] != nil, "missing \(key)") }
        let verified = try #require(cases[1]["verified"] as? [String: Any])
        #expect(verified["identical"] as? Int == 2 && verified["differing"] as? Int == 1 && verified["missing"] as? Int == 0)
        #expect(verified["extra"] as? [String] == [] && verified["problem"] is NSNull)
        #expect(cases[1]["passed"] as? Bool == false)
        let checks = try #require(first["checks"] as? [[String: Any]])
        #expect(checks.first?["name"] as? String == "server_exit")
        #expect(checks.first?["status"] as? String == "passed")
        #expect(checks.first?["points"] as? Double == 1 && checks.first?["score"] as? Double == 1)
    }

    @Test func terminalLinesSayPassOrFail() {
        #expect(TerminalReport.caseLine(results[0]) == "PASS a  tcp  buffer 4096  3 transfers  0 incorrect  client 0.300 ms  server 0.200 ms  (0.5 s)")
        #expect(TerminalReport.failureLines(results[1]).first == "     FAIL server_messages: missing line for transfer 2: \"I am <done>\" & more")
        #expect(TerminalReport.failureLines(results[0]).isEmpty)
        #expect(TerminalReport.summary(results) == "2 passed, 1 failed")
    }

    @Test func manyFailedChecksStayReadable() {
        var result = results[1]
        result.checks = (1...20).map { Check(name: "server.messages.\($0)", passed: false, detail: "missing", context: ["1: a", "2: b"]) }
        let lines = TerminalReport.failureLines(result)
        // Every failed check has its line; only the first three quote the output around them.
        #expect(lines.filter { $0.hasPrefix("     FAIL ") }.count == 20)
        #expect(lines.filter { $0 == "          output around there:" }.count == TerminalReport.checksWithContext)
        #expect(lines.count == 20 + 3 * 3 + 1)
    }

    @Test func comparisonTableHasARowPerCase() {
        let lines = ComparisonTable.lines(results)
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("case"))
        #expect(lines[2].contains("1/3") && lines[2].contains("33.33%"))
    }

    @Test func runMetadataQuotesTheCommandLine() {
        #expect(run.commandLine == "runner scenarios/one.yaml --junit 'out dir/j.xml'")
        #expect(HTMLReport.render(results, run: run).contains("lab-7"))
    }

    @Test func htmlComparesTheCasesThenChartsEachSide() {
        var lossy = results
        lossy[1].transport = "udp"
        lossy[1].impairment = "loss 5% both"
        lossy[1].verified.incorrectCopies = [2]
        let html = HTMLReport.render(lossy)
        #expect(html.components(separatedBy: "class=\"chart-times\"").count - 1 == 6)
        #expect(html.components(separatedBy: "class=\"chart-cdf\"").count - 1 == 1)
        #expect(html.contains("transfer 3: 0.300 ms"))
        // The comparison grid: tcp on a clean link exact, udp at 5% loss with its incorrect copy.
        let grid = html.components(separatedBy: "<table class=\"grid\">")[1].components(separatedBy: "</table>")[0]
        #expect(grid.contains("<th>clean link</th><th>loss 5% both</th>"))
        #expect(grid.contains("<tr><th>udp</th><td class=\"none\">–</td><td class=\"lossy\">"))
        #expect(grid.contains("1/3 incorrect (33.33%)"))
        #expect(html.contains("transfer 2: 0.300 ms, copy incorrect"))
        // No scripts: the report reads without JavaScript.
        #expect(!html.contains("<script"))
    }

    @Test func incorrectCopiesThatCannotBePlacedAreSaidAndSubmissionsGetTheirOwnSections() {
        var judged = [results[1], results[1]]
        judged[0].submission = "alice"
        judged[1].submission = "bob"
        let html = HTMLReport.render(judged)
        #expect(html.contains("<p class=\"note\">1 of the 1 incorrect copies are not marked"))
        #expect(html.contains("id=\"alice-b-tcp-4096\"") && html.contains("id=\"bob-b-tcp-4096\""))
        #expect(html.contains(">bob: b[tcp,4096]</a>"))
    }
}

@Suite struct RunnerPartsTests {
    @Test func listeningPortsComeFromProcNetTCP() {
        let table = """
              sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
               0: 0263630A:1389 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0
               1: 0263630A:1389 0163630A:A1B2 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0
               2: 00000000:0016 00000000:0000 06 00000000:00000000 00:00000000 00000000     0        0 3 1 0
            """
        #expect(ReadinessProbe.listeningPorts(inTable: table) == [5001])
    }

    @Test func ownProcessListeningIsSeen() throws {
        let socket = try Socket(family: AF_INET, type: SOCK_STREAM, context: "probe")
        defer { socket.close() }
        try socket.bind(to: SocketAddress(host: "127.0.0.1", port: 0))
        try socket.listen()
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket.descriptor, $0, &length) } }
        #expect(ReadinessProbe.isListening(pid: getpid(), port: Int(UInt16(bigEndian: address.sin_port))))
    }

    @Test func caseNamesBecomeFolderNames() {
        #expect(CaseRunner.folderName("buffers[tcp,4096]") == "buffers-tcp-4096")
        #expect(CaseRunner.folderName("tcp-100") == "tcp-100")
        #expect(CaseRunner.folderName("a b/c") == "a-b-c")
        #expect(CaseRunner.folderName("///") == "case")
    }

    @Test func isolationChoice() throws {
        #expect(try CaseHosts.choose(.auto, unavailableReason: nil).0 == .namespaces)
        #expect(try CaseHosts.choose(.auto, unavailableReason: "needs root").1 == "host (auto: needs root)")
        #expect(try CaseHosts.choose(.host, unavailableReason: nil).0 == .host)
        #expect(throws: FerryRunError.environment("isolation: namespaces: needs root")) {
            try CaseHosts.choose(.namespaces, unavailableReason: "needs root")
        }
    }
}

@Suite struct ChildProcessTests {
    @Test func programsAreFoundInPath() {
        #expect(ChildProcess.locate("sh") == "/usr/bin/sh" || ChildProcess.locate("sh") == "/bin/sh")
        #expect(ChildProcess.locate("/bin/sh") == "/bin/sh")
        #expect(ChildProcess.locate("no-such-program-ferry") == nil)
    }

    @Test func outputIsCapturedAndExitStatusIsAResult() throws {
        let child = try ChildProcess(arguments: ["sh", "-c", "echo one; echo two >&2; exit 3"])
        #expect(child.wait(until: Date().addingTimeInterval(10)) == .exited(3))
        let lines = child.output.snapshot
        #expect(lines.filter { $0.stream == .stdout }.map(\.text) == ["one"])
        #expect(lines.filter { $0.stream == .stderr }.map(\.text) == ["two"])
    }

    /// A unique `sleep` command line, to find exactly this test's processes.
    private func uniqueSleep() -> String { "sleep 300.\(Int.random(in: 100_000...999_999))" }

    @Test func stopEndsTheWholeGroup() throws {
        let background = uniqueSleep()
        let child = try ChildProcess(arguments: ["sh", "-c", "\(background) & \(uniqueSleep())"])
        #expect(ProcessTable.eventually { !ProcessTable.pids(containing: background).isEmpty })
        #expect(child.stop(grace: 1) == .signaled(SIGTERM))
        #expect(ProcessTable.eventually { ProcessTable.pids(containing: background).isEmpty })
    }

    @Test func stopAlsoEndsAMemberThatIgnoresSIGTERMAfterItsLeaderIsGone() throws {
        let stubborn = uniqueSleep()
        let child = try ChildProcess(arguments: ["sh", "-c", "(trap '' TERM; exec \(stubborn)) & \(uniqueSleep())"])
        #expect(ProcessTable.eventually { !ProcessTable.pids(containing: stubborn).isEmpty })
        #expect(child.stop(grace: 1) == .signaled(SIGTERM))
        #expect(ProcessTable.eventually { ProcessTable.pids(containing: stubborn).isEmpty })
    }

    /// A grandchild in a session of its own that keeps the descriptors it inherited (but not
    /// stdout and stderr): the child is judged by its own exit, at once, not when the grandchild ends.
    @Test func aGrandchildHoldingDescriptorsDoesNotDelayTheExit() throws {
        let marker = "ferry-grandchild-\(NamespacePair.newToken())"
        let script = "import os, sys, time\nif os.fork() == 0:\n    os.setsid(); os.close(1); os.close(2); time.sleep(30)\nprint('parent done')\n"
        let child = try ChildProcess(arguments: ["python3", "-c", script, marker])
        #expect(child.wait(until: Date().addingTimeInterval(20)) == .exited(0))
        // Judged while the grandchild still sleeps: its exit was not waited for.
        #expect(!ProcessTable.pids(containing: marker).isEmpty)
        #expect(child.strayProcesses.isEmpty)  // it let go of stdout and stderr
        let holder = try ChildProcess(arguments: ["sh", "-c", "\(uniqueSleep()) & echo started"])
        #expect(holder.wait(until: Date().addingTimeInterval(20)) == .exited(0))
        #expect(holder.strayProcesses.count == 1 && holder.strayProcesses[0].hasSuffix("(sleep)"))
        holder.stop()
        #expect(child.output.snapshot.map(\.text) == ["parent done"])
        for pid in ProcessTable.pids(containing: marker) { kill(pid, SIGKILL) }
    }

    @Test func waitingReturnsWhenTheChildExitsNotAtTheDeadline() throws {
        let child = try ChildProcess(arguments: ["sh", "-c", "exit 4"])
        #expect(child.waitForExit(until: Date().addingTimeInterval(60)))
        #expect(child.wait(until: Date().addingTimeInterval(60)) == .exited(4))
        #expect(!child.isRunning && child.termination == .exited(4))
        let sleeper = try ChildProcess(arguments: ["sh", "-c", uniqueSleep()])
        #expect(!sleeper.waitForExit(until: Date().addingTimeInterval(0.05)) && sleeper.isRunning)
        sleeper.stop()
    }

    @Test func outputBeyondTheCapIsCountedNotKept() throws {
        let child = try ChildProcess(arguments: ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do echo 0123456789; done"], outputCap: 30)
        _ = child.wait(until: Date().addingTimeInterval(10))
        #expect(child.output.snapshot.count == 2)
        #expect(child.output.dropped == 88)
    }
}
