import FerryCore
import FerryRunner
import FerryTestSupport
import Foundation
import Testing

extension NamespaceSuites {
    /// The runner driving sides on "other machines": namespaces joined to this machine by a
    /// bridge, each with its own sshd (`SSHHosts`), reached with a throwaway key and known hosts
    /// file. Every test also checks that nothing is left on the remote side: no process of the
    /// run, nothing in the remote work folder.
    @Suite(.enabled(if: SSHHosts.unavailableReason == nil, Comment(rawValue: SSHHosts.skipComment)))
    struct RemoteHostTests {
        let folder: TemporaryDirectory

        init() throws {
            folder = try TemporaryDirectory("ferry-remote-e2e")
            try folder.copySample()
        }

        private func scenario(_ hosts: SSHHosts, server: Bool, client: Bool, extra: String = "", serverEntry: String? = nil,
                              repetitions: Int = 20) throws -> String {
            var text = """
                name: remote
                network: {server_ip: \(hosts.serverAddress)}
                transfer: {file: files/sample.txt, repetitions: \(repetitions), port: 5301}
                expect: {messages: seed, max_incorrect: 0}
                hosts:

                """
            if server { text += "  server: \(serverEntry ?? hosts.hostEntry(hosts.serverAddress))\n" }
            if client { text += "  client: \(hosts.hostEntry(hosts.clientAddress))\n" }
            return try folder.write("remote.yaml", bytes: Array((text + extra).utf8))
        }

        private func runner(_ arguments: [String], timeout: TimeInterval = 120) throws -> RunnerInvocation {
            try RunnerInvocation(arguments, workDirectory: folder.file("work"), in: folder.path, timeout: timeout)
        }

        /// No process of the run on the "remote" side, nothing in its work folder, and no shared
        /// ssh connection left running here.
        private func expectNothingLeft(_ hosts: SSHHosts) {
            #expect(ProcessTable.eventually(5) { ProcessTable.pids(containing: hosts.workdir).isEmpty },
                    "processes of the run remain: \(ProcessTable.pids(containing: hosts.workdir))")
            #expect(hosts.leftovers.isEmpty, "left in the remote work folder: \(hosts.leftovers)")
            #expect(ProcessTable.eventually(5) { ProcessTable.pids(containing: "ControlPath=/tmp/ferry-ssh-").isEmpty },
                    "a shared ssh connection remains")
        }

        /// The default scenario, as shipped, with its server on another machine: two `--set`s.
        @Test func theDefaultScenarioWithItsServerOnAnotherMachine() throws {
            let hosts = try SSHHosts()
            defer { hosts.remove(); folder.remove() }
            let json = folder.file("report.json")
            // A workdir that is not there yet: the run makes it, and removes it afterwards.
            let fresh = hosts.folder.file("made-by-the-run")
            let path = "\(repositoryRoot())/scenarios/default.yaml"
            let sets = ["--set", "hosts.server=\(hosts.hostEntry(hosts.serverAddress, workdir: fresh))",
                        "--set", "network.server_ip=\(hosts.serverAddress)"]
            // Twice in one run: the second case reuses the connection and never sees the first's copies.
            let output = try runner([path, path, "--json", json] + sets)
            #expect(output.status == .exited(0), "\(output.all)")
            #expect(output.stdout.filter { $0.hasPrefix("PASS tcp-100  tcp  buffer 1048576  100 transfers  0 incorrect") }.count == 2,
                    "\(output.all)")
            // The server's results came back for the reports: the runner read its per-transfer counts.
            let report = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
            let first = try #require((report["cases"] as? [[String: Any]])?.first)
            #expect((first["verified"] as? [String: Any])?["identical"] as? Int == 100)
            #expect(first["isolation"] as? String == "host")
            #expect(first["retransmissions"] is Int, "the client's counts were read")
            // The server's results came back from its machine into the case folder.
            #expect(FileManager.default.fileExists(atPath: folder.file("work/tcp-100/server.json")))
            #expect(!FileManager.default.fileExists(atPath: fresh))
            #expect(ProcessTable.pids(containing: fresh).isEmpty)
            expectNothingLeft(hosts)
        }

        @Test func bothSidesOnOtherMachinesAndCopiesFetched() throws {
            let hosts = try SSHHosts()
            defer { hosts.remove(); folder.remove() }
            let output = try runner([try scenario(hosts, server: true, client: true), "--fetch-copies", "--keep"])
            #expect(output.status == .exited(0), "\(output.all)")
            #expect(output.stdout.contains { $0.hasPrefix("PASS remote  tcp  buffer 1048576  20 transfers  0 incorrect") }, "\(output.all)")
            // --fetch-copies: the copies are here, in the case folder, and were verified here.
            let copies = (try? FileManager.default.contentsOfDirectory(atPath: folder.file("work/remote/received"))) ?? []
            #expect(copies.count == 20, "\(copies)")
            // The client's results came back too: the per-transfer TCP counts are in the case folder.
            #expect(FileManager.default.fileExists(atPath: folder.file("work/remote/client.json")))
            expectNothingLeft(hosts)
        }

        @Test func aWrongCopyOnTheRemoteServerIsCounted() throws {
            let hosts = try SSHHosts()
            defer { hosts.remove(); folder.remove() }
            // The standard differs from the file sent: every copy is wrong, found by the hashes there.
            _ = try folder.write("files/other.txt", bytes: Array("not the sample\n".utf8))
            let path = try scenario(hosts, server: true, client: false, repetitions: 3)
            var text = try String(contentsOfFile: path, encoding: .utf8)
            text = text.replacingOccurrences(of: "file: files/sample.txt,", with: "file: files/sample.txt, standard: files/other.txt,")
                
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let output = try runner([path])
            #expect(output.status == .exited(1), "\(output.all)")
            #expect(output.stdout.contains { $0.hasPrefix("FAIL remote  tcp  buffer 1048576  3 transfers  3 incorrect") }, "\(output.all)")
            expectNothingLeft(hosts)
        }

        @Test func anUnreachableHostIsOneLine() throws {
            let hosts = try SSHHosts()
            defer { hosts.remove(); folder.remove() }
            let path = try scenario(hosts, server: true, client: false, serverEntry: hosts.hostEntry(hosts.deadAddress))
            let started = Date()
            let output = try runner([path])
            #expect(output.status == .exited(3), "\(output.all)")
            #expect(output.stderr.count == 1, "\(output.all)")
            #expect(output.stderr.first?.hasPrefix("runner: ssh root@\(hosts.deadAddress):2222: ") == true, "\(output.all)")
            // Within the connect timeout (and the time to say so), not ssh's own minutes.
            #expect(Date().timeIntervalSince(started) < Double(RemoteSessions.connectTimeout) + 20)
            expectNothingLeft(hosts)
        }

        @Test func anUnknownHostKeyIsOneLineSayingHowToAddIt() throws {
            let hosts = try SSHHosts()
            defer { hosts.remove(); folder.remove() }
            let empty = try folder.write("empty_known_hosts", bytes: [])
            let path = try scenario(hosts, server: true, client: false,
                                    serverEntry: hosts.hostEntry(hosts.serverAddress, knownHosts: empty))
            let output = try runner([path])
            #expect(output.status == .exited(3), "\(output.all)")
            #expect(output.stderr == [
                "runner: ssh root@\(hosts.serverAddress):2222: its host key is not known; check the key's fingerprint with the "
                    + "machine's owner, then add it: ssh-keyscan -p 2222 \(hosts.serverAddress) >> \(empty)",
            ], "\(output.all)")
            expectNothingLeft(hosts)
        }

        /// A workdir others may write to (as /tmp/ferry-run would be, made by another user) could
        /// have the copied binaries swapped: refused with one line, nothing run.
        @Test func aWorkdirOthersCanWriteToIsRefused() throws {
            let hosts = try SSHHosts()
            defer { hosts.remove(); folder.remove() }
            let open = hosts.folder.file("open")
            try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: true)
            chmod(open, 0o777)
            let path = try scenario(hosts, server: true, client: false, serverEntry: hosts.hostEntry(hosts.serverAddress, workdir: open))
            let output = try runner([path])
            #expect(output.status == .exited(3), "\(output.all)")
            #expect(output.stderr.count == 1, "\(output.all)")
            let line = output.stderr.first ?? ""
            #expect(line.hasPrefix("runner: ssh root@\(hosts.serverAddress):2222: making \(open)/ferry-"), "\(line)")
            #expect(line.hasSuffix("\(open) is not a folder of this account's that only it can write to"), "\(line)")
            #expect((try? FileManager.default.contentsOfDirectory(atPath: open)) == [])
            expectNothingLeft(hosts)
        }

        /// A student's pair (Python) on the two machines: its source copied to each, built there,
        /// its copies (every new file of its own folder, beside a fixture that is the standard itself
        /// and files its source brought, none of which may count) verified by their hashes there.
        @Test func aProgramOfTheScenarioRunsOnTheOtherMachines() throws {
            let hosts = try SSHHosts()
            defer { hosts.remove(); folder.remove() }
            try FileManager.default.createDirectory(atPath: folder.file("sub"), withIntermediateDirectories: true)
            _ = try folder.write("sub/server.py", bytes: Array("""
                import socket, sys
                ip, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((ip, port))
                s.listen()
                print("I am ready", flush=True)
                for n in range(1, count + 1):
                    c, _ = s.accept()
                    data = b""
                    while True:
                        chunk = c.recv(65536)
                        if not chunk:
                            break
                        data += chunk
                    # The third copy is cut short.
                    open("copy%d.txt" % n, "wb").write(data[:10] if n == 3 else data)
                    c.close()
                print("I am done", flush=True)

                """.utf8))
            _ = try folder.write("sub/client.py", bytes: Array("""
                import socket, sys
                ip, port, count, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
                data = open(path, "rb").read()
                for n in range(count):
                    c = socket.create_connection((ip, port))
                    c.sendall(data)
                    c.close()
                print("I am done", flush=True)

                """.utf8))
            // A file the source brings along is not the server's work.
            _ = try folder.write("sub/notes.txt", bytes: Array("mine\n".utf8))
            let path = try folder.write("python.yaml", bytes: Array("""
                name: python-pair
                network: {server_ip: \(hosts.serverAddress)}
                transfer: {file: files/sample.txt, repetitions: 5, port: 5303}
                server:
                  source: sub
                  command: [python3, server.py, "{server_ip}", "{port}", "{repetitions}"]
                  build: [python3, -m, py_compile, server.py]
                  ready: I am ready
                  store: .         # every new file in its folder is a copy: the source and fixture are not
                  files: {standard-copy.txt: files/sample.txt}
                client:
                  source: sub
                  command: [python3, client.py, "{server_ip}", "{port}", "{repetitions}", "{file_path}"]
                expect: {max_incorrect: 1, messages: none, server: ["I am done"]}
                hosts:
                  server: \(hosts.hostEntry(hosts.serverAddress))
                  client: \(hosts.hostEntry(hosts.clientAddress))

                """.utf8))
            let json = folder.file("python.json")
            let output = try runner([path, "--json", json])
            #expect(output.status == .exited(0), "\(output.all)")
            #expect(output.stdout.contains { $0.hasPrefix("PASS python-pair  tcp  buffer 1048576  5 transfers  1 incorrect") }, "\(output.all)")
            let report = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
            let verified = try #require((report["cases"] as? [[String: Any]])?.first?["verified"] as? [String: Any])
            #expect(verified["identical"] as? Int == 4 && verified["differing"] as? Int == 1 && verified["missing"] as? Int == 0)
            #expect((verified["extra"] as? [String])?.isEmpty == true, "\(verified)")
            #expect((report["cases"] as? [[String: Any]])?.first?["checks"].map { "\($0)" }?.contains("server.build") == true)
            expectNothingLeft(hosts)
        }

        /// Loss and a rate between two machines (`allow_remote`): a firewall rule on each receiving
        /// side's machine for the scenario's port, a tbf qdisc on each sending side's interface,
        /// all gone after the case. udp loses copies, tcp none.
        @Test func lossAndARateBetweenTheMachines() throws {
            let hosts = try SSHHosts()
            defer { hosts.remove(); folder.remove() }
            let path = try scenario(hosts, server: true, client: true, repetitions: 30)
            var text = try String(contentsOfFile: path, encoding: .utf8)
            text = text.replacingOccurrences(of: "network: {server_ip: \(hosts.serverAddress)}",
                                             with: "network: {server_ip: \(hosts.serverAddress), impair: {loss: 5%, rate: 100mbit, allow_remote: true}}")
                .replacingOccurrences(of: "transfer: {", with: "transfer: {protocol: [tcp, udp], ")
                .replacingOccurrences(of: "expect: {messages: seed, max_incorrect: 0}",
                                      with: "expect: {messages: seed, max_incorrect: 0, overrides: [{protocol: udp, max_error_rate: 100%, min_incorrect: 1}]}")
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let json = folder.file("loss.json")
            let output = try runner([path, "--json", json], timeout: 300)
            #expect(output.status == .exited(0), "\(output.all)")
            let report = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
            let cases = try #require(report["cases"] as? [[String: Any]])
            let tcp = try #require(cases.first { $0["protocol"] as? String == "tcp" })
            #expect(tcp["incorrect"] as? Int == 0)
            #expect((tcp["retransmissions"] as? Int ?? 0) > 0, "tcp saw no loss: \(tcp)")
            #expect((cases.first { $0["protocol"] as? String == "udp" }?["incorrect"] as? Int ?? 0) > 0)
            #expect(cases.allSatisfy { $0["impairment"] as? String == "loss 5% both, rate 100mbit" })
            // The tables and qdiscs are gone from both machines.
            for namespace in hosts.namespaces {
                let tables = try Tool.run(["ip", "netns", "exec", namespace, "nft", "list", "tables"])
                #expect(!tables.contains("ferry_"), "\(namespace): \(tables)")
                let qdiscs = try Tool.run(["ip", "netns", "exec", namespace, "tc", "qdisc", "show"])
                #expect(!qdiscs.contains("tbf"), "\(namespace): \(qdiscs)")
            }
            expectNothingLeft(hosts)
        }

        /// A machine whose interface has a root qdisc of its own keeps it: the case stops instead.
        @Test func aRootQdiscOfTheMachinesOwnIsNeverReplaced() throws {
            let hosts = try SSHHosts()
            defer { hosts.remove(); folder.remove() }
            let client = hosts.namespaces[1]
            try Tool.run(["ip", "netns", "exec", client, "tc", "qdisc", "add", "dev", hosts.link(1), "root", "tbf",
                          "rate", "1gbit", "burst", "32kb", "latency", "50ms"])
            let path = try scenario(hosts, server: true, client: true, repetitions: 3)
            var text = try String(contentsOfFile: path, encoding: .utf8)
            text = text.replacingOccurrences(of: "network: {server_ip: \(hosts.serverAddress)}",
                                             with: "network: {server_ip: \(hosts.serverAddress), impair: {rate: 10mbit, direction: to_server, allow_remote: true}}")
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let output = try runner([path])
            #expect(output.status == .exited(3), "\(output.all)")
            #expect(output.stderr.first?.contains("\(hosts.link(1)) has a root qdisc of its own (tc qdisc show dev \(hosts.link(1))); it is not replaced")
                    == true, "\(output.all)")
            let qdiscs = try Tool.run(["ip", "netns", "exec", client, "tc", "qdisc", "show", "dev", hosts.link(1)])
            #expect(qdiscs.contains("tbf") && qdiscs.contains("rate 1Gbit"), "\(qdiscs)")
            expectNothingLeft(hosts)
        }

        @Test func anInterruptedRunCleansUpTheRemoteSide() throws {
            let hosts = try SSHHosts()
            defer { hosts.remove(); folder.remove() }
            let path = try scenario(hosts, server: true, client: false, repetitions: 1_000_000)
            let child = try ChildProcess(arguments: [BuiltProducts.path("runner"), path, "--work-dir", folder.file("work")],
                                         workingDirectory: folder.path)
            defer { child.stop() }
            // The server runs there (its command line holds the remote work folder): interrupt.
            #expect(ProcessTable.eventually(30) { !ProcessTable.pids(containing: "\(hosts.workdir)/ferry-").filter { pid in
                ((try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) ?? "").hasPrefix("server")
            }.isEmpty }, "the remote server never started")
            kill(child.pid, SIGINT)
            #expect(child.wait(until: Date().addingTimeInterval(60)) == .exited(130))
            expectNothingLeft(hosts)
        }

        @Test func aRemoteSideThatHangsIsKilledAndCleanedUp() throws {
            let hosts = try SSHHosts()
            defer { hosts.remove(); folder.remove() }
            // 30,000 transfers cannot finish in 5 s (they take about 15): the case limit stops both sides.
            let path = try scenario(hosts, server: true, client: true, extra: "timeouts: {case: 5s}\n", repetitions: 30_000)
            let output = try runner([path])
            #expect(output.status == .exited(1), "\(output.all)")
            #expect(output.stdout.contains { $0.contains("FAIL time_limit: the client was still running at the case limit of 5.0 s") },
                    "\(output.all)")
            expectNothingLeft(hosts)
        }
    }
}
