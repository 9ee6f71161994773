import FerryCore
import FerryRunner
import FerryTestSupport
import Foundation
import Testing


extension NamespaceSuites {
    /// The built `runner` on scenario files, with namespaces.
    @Suite struct RunnerEndToEndTests {
        let folder: TemporaryDirectory
        let marker = "ferry-marker-\(NamespacePair.newToken())"

        init() throws {
            folder = try TemporaryDirectory("ferry-runner-e2e")
            try folder.copySample()
        }

        private func runner(_ arguments: [String], timeout: TimeInterval = 180) throws -> RunnerInvocation {
            try RunnerInvocation(arguments, workDirectory: folder.file("work"), in: folder.path, timeout: timeout)
        }

        private func scenario(_ name: String, _ text: String) throws -> String {
            try folder.write(name, bytes: Array(text.utf8))
        }

        @Test func defaultScenarioPasses() throws {
            defer { folder.remove() }
            let json = folder.file("report.json")
            let junit = folder.file("report.xml")
            // This process touches 256 MiB before it starts the runner, whose reported peak must
            // still be its own: `getrusage` would have reported this process's (see `PeakMemory`).
            let ballast = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 << 20, alignment: 4096)
            defer { ballast.deallocate() }
            ballast.initializeMemory(as: UInt8.self, repeating: 1)
            let output = try runner(["\(repositoryRoot())/scenarios/default.yaml", "--json", json, "--junit", junit])
            #expect(output.status == .exited(0), "\(output.all)")
            #expect(output.stdout.contains { $0.hasPrefix("PASS tcp-100  tcp  buffer 1048576  100 transfers  0 incorrect") })
            #expect(output.stdout.last == "1 passed, 0 failed")
            let report = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
            let cases = try #require(report["cases"] as? [[String: Any]])
            #expect(cases.first?["passed"] as? Bool == true)
            #expect((cases.first?["verified"] as? [String: Any])?["identical"] as? Int == 100)
            let peak = (report["summary"] as? [String: Any])?["runner_peak_rss_kib"] as? Int ?? 0
            #expect(peak > 0 && peak < 128 << 10, "the runner's own peak, not the 256 MiB of the process that started it: \(peak) KiB")
            // Ferry's own tcp client counted its retransmissions and timed its handshakes.
            #expect(cases.first?["retransmissions"] is Int)
            #expect((cases.first?["connect_median_ms"] as? Double ?? 0) > 0)
            #expect((cases.first?["throughput_mb_s"] as? Double ?? 0) > 0)
            #expect(FileManager.default.fileExists(atPath: junit))
        }

        @Test func aLineTheServerNeverPrintsFailsTheCase() throws {
            defer { folder.remove() }
            let path = try scenario("missing-line.yaml", """
                name: missing-line
                transfer: {file: files/sample.txt, repetitions: 3, port: 5003}
                expect:
                  messages: seed
                  server: ["The server says thank you"]
                """)
            let output = try runner([path])
            #expect(output.status == .exited(1), "\(output.all)")
            #expect(output.stdout.contains { $0.hasPrefix("FAIL missing-line") })
            #expect(output.stdout.contains {
                $0.contains("FAIL server.messages.1: missing line (\(path):5:12): expected \"The server says thank you\"")
            }, "\(output.all)")
        }

        /// Foundation's `contains` traps when a line that is not ASCII ends in the start of a text
        /// holding a NUL: here every server line names `é.txt`, and the seed lines end in `time`.
        @Test func anAccentedLineAndATextWithANULAreJudgedNotACrash() throws {
            defer { folder.remove() }
            _ = try folder.write("files/é.txt", bytes: Array("accented\n".utf8))
            let path = try scenario("nul.yaml", """
                name: nul
                transfer: {file: files/é.txt, repetitions: 3, port: 5004}
                expect:
                  messages: seed
                  server: [{absent: "e\\0"}, {absent: "for the 2nd time"}]
                """)
            let output = try runner([path])
            #expect(output.status == .exited(1), "\(output.all)")
            #expect(output.stdout.contains { $0.contains("FAIL server.messages.2") }, "\(output.all)")
            #expect(!output.stdout.contains { $0.contains("FAIL server.messages.1") }, "\(output.all)")
        }

        /// A fake pair: the client sends raw bytes; the server stores a corrupted second copy and claims success.
        @Test func aServerThatLiesAboutAWrongCopyFailsVerification() throws {
            defer { folder.remove() }
            try folder.write("liar.py", bytes: Array("""
                import os, socket, sys
                ip, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
                os.makedirs("received", exist_ok=True)
                s = socket.socket(socket.AF_INET); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((ip, port)); s.listen(16)
                print("I am ready for any client side request", flush=True)
                for i in range(1, n + 1):
                    c, _ = s.accept(); data = b""
                    while True:
                        b = c.recv(65536)
                        if not b: break
                        data += b
                    if i == 2: data = data[:-1] + b"!"
                    open(f"received/sample.{i}.txt", "wb").write(data); c.close()
                print(f"Incorrect transfers: 0 of {n} (error rate 0.00%)")
                print("I am done")
                """.utf8))
            try folder.write("sender.py", bytes: Array("""
                import socket, sys, time
                ip, port, path, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
                for i in range(n):
                    c = socket.create_connection((ip, port)); c.sendall(open(path, "rb").read()); c.close()
                print("I am done")
                """.utf8))
            let path = try scenario("liar.yaml", """
                name: liar
                transfer: {file: files/sample.txt, repetitions: 3, port: 5004}
                server:
                  command: [python3, liar.py, "{server_ip}", "{port}", "{repetitions}"]
                  cwd: .
                  store: received
                client:
                  command: [python3, sender.py, "{server_ip}", "{port}", "{file_path}", "{repetitions}"]
                  cwd: .
                expect:
                  messages: none
                  server: ["I am done"]
                """)
            let output = try runner([path, "--json", folder.file("liar.json")])
            #expect(output.status == .exited(1), "\(output.all)")
            #expect(output.stdout.contains { $0.contains("FAIL server.incorrect_report: server reported 0 incorrect, the runner found 1 (differing: sample.2.txt)") },
                    "\(output.all)")
            let report = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.file("liar.json")))) as? [String: Any])
            let verified = (report["cases"] as? [[String: Any]])?.first?["verified"] as? [String: Any]
            #expect(verified?["identical"] as? Int == 2 && verified?["differing"] as? Int == 1 && verified?["missing"] as? Int == 0)
            // The runner never touches a store that is not its own.
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.file("received")).count == 3)
        }

        private func hangingScenario(caseLimit: String) throws -> String {
            try folder.write("hang.py", bytes: Array("""
                import sys, time
                print("I am ready for any client side request", flush=True)
                time.sleep(1000)
                """.utf8))
            return try scenario("hang.yaml", """
                name: hang
                transfer: {file: files/sample.txt, repetitions: 2, port: 5005}
                server:
                  command: [python3, hang.py, "\(marker)"]
                  cwd: .
                  ready: I am ready
                client:
                  command: [sh, -c, "sleep 1000; echo \(marker)"]
                timeouts: {case: \(caseLimit)}
                """)
        }

        @Test func aHangingChildIsKilledAtTheCaseTimeoutAndNothingRemains() throws {
            defer { folder.remove() }
            let before = ProcessTable.namespaces()
            defer { ProcessTable.removeLeftovers(namespacesBefore: before, marker: marker) }
            let output = try runner([try hangingScenario(caseLimit: "2s")])
            #expect(output.status == .exited(1), "\(output.all)")
            #expect(output.stdout.contains { $0.contains("FAIL time_limit: the client was still running at the case limit of 2.0 s") }, "\(output.all)")
            #expect(ProcessTable.eventually { ProcessTable.pids(containing: marker).isEmpty })
            #expect(ProcessTable.namespaces().subtracting(before).isEmpty)
        }

        @Test func sigintMidCaseLeavesNothingBehind() throws {
            defer { folder.remove() }
            let before = ProcessTable.namespaces()
            defer { ProcessTable.removeLeftovers(namespacesBefore: before, marker: marker) }
            let path = try hangingScenario(caseLimit: "2m")
            let junit = folder.file("interrupted.xml")
            let json = folder.file("interrupted.json")
            let child = try ChildProcess(arguments: [BuiltProducts.path("runner"), path, "--work-dir", folder.file("work"),
                                                     "--junit", junit, "--json", json],
                                         workingDirectory: folder.path)
            defer { child.stop() }
            #expect(ProcessTable.eventually(30) { ProcessTable.pids(containing: marker).count >= 2 }, "the hanging pair never started")
            #expect(ProcessTable.namespaces().subtracting(before).count == 2)
            kill(child.pid, SIGINT)
            let end = child.wait(until: Date().addingTimeInterval(30))
            #expect(end == .exited(130))
            #expect(child.output.snapshot.contains { $0.text == "runner: interrupted by SIGINT: stopping children and removing namespaces" })
            // The reports are written, the interruption as their error (no case had finished).
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any]
            #expect(report?["error"] as? String == "interrupted by SIGINT")
            #expect(try String(contentsOfFile: junit, encoding: .utf8).contains("<error message=\"interrupted by SIGINT\""))
            #expect(ProcessTable.eventually { ProcessTable.pids(containing: marker).isEmpty })
            #expect(ProcessTable.namespaces().subtracting(before).isEmpty)
        }

        @Test func failFastStartsNoFurtherCase() throws {
            defer { folder.remove() }
            let path = try scenario("slow.yaml", """
                name: slow
                transfer: {file: files/sample.txt, repetitions: 3, protocol: [tcp, udp], port: 5006}
                expect: {max_average_ms: 0}
                """)
            let all = try runner([path, "-q"])
            #expect(all.stdout.last == "0 passed, 2 failed", "\(all.all)")
            let first = try runner([path, "-q", "--fail-fast"])
            #expect(first.status == .exited(1))
            #expect(first.stdout.filter { $0.hasPrefix("FAIL slow[") }.count == 1, "\(first.all)")
            #expect(first.stdout.last == "0 passed, 1 failed", "\(first.all)")
        }

        @Test func tcpVersusUdpMeetsItsExpectations() throws {
            defer { folder.remove() }
            let json = folder.file("cmp.json")
            let output = try runner(["\(repositoryRoot())/scenarios/tcp-vs-udp.yaml", "--json", json], timeout: 600)
            #expect(output.status == .exited(0), "\(output.all)")
            #expect(output.stdout.contains { $0.hasPrefix("case") && $0.contains("datagrams lost") })
            let report = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
            let cases = try #require(report["cases"] as? [[String: Any]])
            #expect(cases.count == 9)
            func incorrect(_ transport: String, _ loss: Double) -> Int? {
                cases.first { $0["protocol"] as? String == transport && $0["loss_percent"] as? Double == loss }?["incorrect"] as? Int
            }
            for loss in [0.0, 1.0, 5.0] {
                #expect(incorrect("tcp", loss) == 0)
                #expect(incorrect("rudp", loss) == 0)
            }
            #expect((incorrect("udp", 5) ?? 0) > 0)
            #expect(cases.first { $0["protocol"] as? String == "udp" && $0["loss_percent"] as? Double == 5 }?["impairment"] as? String == "loss 5% both")
        }

        /// Delay needs netem: where the kernel lacks it, the runner says so and exits 3; where it has it, the case runs.
        @Test func netemSettingsNeedNetem() throws {
            defer { folder.remove() }
            let path = try scenario("delay.yaml", """
                name: delay
                network: {isolation: namespaces, impair: {delay: 2ms}}
                transfer: {file: files/sample.txt, repetitions: 3, port: 5006}
                """)
            let netemAvailable = try TestHosts.withPair { pair in
                (try? Tool.run(["ip", "netns", "exec", pair.serverNamespace, "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"])) != nil
            }
            let before = ProcessTable.namespaces()
            let output = try runner([path])
            if netemAvailable {
                #expect(output.status == .exited(0), "\(output.all)")
            } else {
                #expect(output.status == .exited(3))
                #expect(output.stderr.contains { $0.hasPrefix("runner: network.impair.delay needs the kernel's netem qdisc (module sch_netem), which this kernel does not provide") },
                        "\(output.all)")
            }
            #expect(ProcessTable.namespaces().subtracting(before).isEmpty)
        }

        @Test func rateLimitedLinkIsRecorded() throws {
            defer { folder.remove() }
            let path = try scenario("rate.yaml", """
                name: rate
                network: {isolation: namespaces, impair: {rate: 200mbit, direction: to_server}}
                transfer: {file: files/sample.txt, repetitions: 5, port: 5007}
                """)
            let json = folder.file("rate.json")
            let output = try runner([path, "--json", json])
            #expect(output.status == .exited(0), "\(output.all)")
            let report = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
            let cases = try #require(report["cases"] as? [[String: Any]])
            #expect(cases.first?["impairment"] as? String == "rate 200mbit")
            #expect(output.stdout.contains { $0.hasPrefix("PASS rate  tcp  [rate 200mbit]") })
        }
    }
}
