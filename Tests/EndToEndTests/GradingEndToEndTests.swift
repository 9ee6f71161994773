import FerryCore
import FerryRunner
import FerryTestSupport
import Foundation
import Testing

extension NamespaceSuites {
    /// The runner judging other people's programs, run unmodified: `--submissions`, sources,
    /// fixtures, builds, host names, `same_host`, connection counts and scores.
    @Suite struct GradingEndToEndTests {
        let folder: TemporaryDirectory
        let marker = "ferry-marker-\(NamespacePair.newToken())"

        init() throws {
            folder = try TemporaryDirectory("ferry-grading-e2e")
            try folder.copySample()
        }

        private func runner(_ arguments: [String], work: String = "work") throws -> RunnerInvocation {
            try RunnerInvocation(arguments, workDirectory: folder.file(work), in: folder.path)
        }

        /// Python's read-until-the-client-closes, for the submissions below: `receive_all(c)`.
        static let receiveAll = "def receive_all(c):\n    data = b\"\"\n    while True:\n        b = c.recv(65536)\n        if not b: return data\n        data += b\n"

        /// Writes `files` (name → text) into `submissions/<name>/`.
        private func submission(_ name: String, _ files: [String: String]) throws {
            try FileManager.default.createDirectory(atPath: folder.file("submissions/\(name)"), withIntermediateDirectories: true)
            for (file, text) in files { try folder.write("submissions/\(name)/\(file)", bytes: Array(text.utf8)) }
        }

        private func scenario(_ text: String) throws -> String {
            try folder.write("grading.yaml", bytes: Array(text.utf8))
        }

        /// The rows of the run's scores.csv, by submission.
        private func scores(_ work: String = "work") throws -> [String: [String]] {
            let text = try String(contentsOfFile: folder.file("\(work)/scores.csv"), encoding: .utf8)
            let rows = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            return Dictionary(uniqueKeysWithValues: rows.dropFirst().map { ($0[0], $0) })
        }

        /// The example: Alice's "milliseconds" costs 5 points, Bob's one file name for every copy costs
        /// 24.75 of the 25 copy points; both programs run unmodified on their hard-coded 192.168.5.67.
        @Test func theExampleSubmissionsGetTheirScores() throws {
            defer { folder.remove() }
            let root = repositoryRoot()
            let output = try runner(["\(root)/scenarios/grading/grading.yaml", "--submissions", "\(root)/scenarios/grading/submissions",
                                     "--score", "results.json"])
            #expect(output.status == .exited(1), "\(output.all)")
            #expect(output.stdout.contains("alice  95/100  20 passed, 1 failed"), "\(output.all)")
            #expect(output.stdout.contains("bob  75.25/100  20 passed, 1 failed"), "\(output.all)")
            #expect(output.stdout.contains { $0.contains("FAIL server.messages.time: missing line for transfer 1") })
            #expect(output.stdout.contains { $0.contains("FAIL copies: 1 identical, 0 differing, 99 missing of 100") })
            let rows = try scores()
            #expect(rows["alice"]?.prefix(3) == ["alice", "95", "100"])
            #expect(rows["bob"]?.prefix(3) == ["bob", "75.25", "100"])
            let results = try #require(JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: folder.file("work/alice/results.json")))) as? [String: Any])
            #expect(results["score"] as? Double == 95 && results["max_score"] as? Double == 100)
            // The submissions' own folders are never written to.
            let untouched = try FileManager.default.contentsOfDirectory(atPath: "\(root)/scenarios/grading/submissions/alice").sorted()
            #expect(untouched == ["client.py", "server.py"])
        }

        /// `repetitions: 101` against a program that stores 100 copies beside its CompareStandard.txt
        /// fixture: the fixture is not a copy, so one copy is missing (this passed before).
        @Test func aFixtureDoesNotPassForTheMissingCopy() throws {
            defer { folder.remove() }
            let root = repositoryRoot()
            var text = try String(contentsOfFile: "\(root)/scenarios/grading/grading.yaml", encoding: .utf8)
            text = text.replacingOccurrences(of: "file: ../files/sample.txt", with: "file: files/sample.txt")
                .replacingOccurrences(of: "repetitions: 100", with: "repetitions: 101")
            let path = try scenario(text)
            try FileManager.default.createDirectory(atPath: folder.file("submissions"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: "\(root)/scenarios/grading/submissions/alice", toPath: folder.file("submissions/alice"))
            let output = try runner([path, "--submissions", folder.file("submissions")])
            #expect(output.status == .exited(1))
            #expect(output.stdout.contains { $0.contains("FAIL copies: 100 identical, 0 differing, 1 missing of 101") }, "\(output.all)")
        }

        /// A server that never prints its ready line: it fails `server.ready`, every later check is
        /// skipped with the reason, it scores what those points say, and nothing is left running.
        @Test func aServerThatNeverGetsReadyScoresAndLeavesNothing() throws {
            defer { folder.remove() }
            let before = ProcessTable.namespaces()
            defer { ProcessTable.removeLeftovers(namespacesBefore: before, marker: marker) }
            try submission("quiet", [
                "server.py": "import sys, time\nprint('starting up', flush=True)\nprint('oops', file=sys.stderr, flush=True)\ntime.sleep(1000)\n",
                "client.py": "print('I am done')\n",
            ])
            let path = try scenario("""
                transfer: {file: files/sample.txt, repetitions: 3, port: 9100}
                server: {source: "{submission}", command: [python3, server.py, "\(marker)"], ready: I am ready}
                client: {source: "{submission}", command: [python3, client.py]}
                timeouts: {ready: 2s}
                expect:
                  points: {server.ready: 10, copies: 30, server.lines.done: 5}
                """)
            let output = try runner([path, "--submissions", folder.file("submissions")])
            #expect(output.status == .exited(1))
            #expect(output.stdout.contains("quiet  0/45  1 passed, 1 failed, 21 skipped"), "\(output.all)")
            #expect(output.stdout.contains {
                $0.hasSuffix("FAIL server.ready: the server did not print its ready line \"I am ready\" within 2.0 s; its last error: \"oops\"")
            }, "\(output.all)")
            #expect(output.stdout.contains("            err | oops"), "\(output.all)")
            #expect(output.stdout.contains("     skipped 21 checks: the server never became ready"), "\(output.all)")
            #expect(ProcessTable.eventually { ProcessTable.pids(containing: marker).isEmpty })
            #expect(ProcessTable.namespaces().subtracting(before).isEmpty)
        }

        /// A pair that finds its server with gethostbyname(gethostname()), run with a host name and
        /// a hosts entry in both namespaces; copies named sentfile_<n>.txt.
        @Test func aProgramThatLooksUpItsOwnHostNameRunsUnmodified() throws {
            defer { folder.remove() }
            try submission("lookup", [
                "server.py": Self.receiveAll + """
                    import socket
                    host = socket.gethostbyname(socket.gethostname())
                    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind((host, 12345)); s.listen(50)
                    print("I am ready for any client side request on", host, flush=True)
                    for i in range(1, 4):
                        c, _ = s.accept(); data = receive_all(c)
                        c.close(); open("sentfile_%d.txt" % i, "wb").write(data)
                    print("I am done")
                    """,
                "client.py": """
                    import socket
                    host = socket.gethostbyname(socket.gethostname())
                    print("I am connecting to server side:", host, "as", socket.gethostname())
                    for i in range(3):
                        c = socket.create_connection((host, 12345)); c.sendall(open("send.txt", "rb").read()); c.close()
                    print("I am done")
                    """,
            ])
            let path = try scenario("""
                network:
                  isolation: namespaces
                  hostnames: {server: lab, client: lab}
                  hosts: {lab: "{server_ip}"}
                transfer: {file: files/sample.txt, repetitions: 3, port: 12345}
                server: {source: "{submission}", command: [python3, server.py], store: "sentfile_{n}.txt", ready: I am ready}
                client: {source: "{submission}", command: [python3, client.py], files: {send.txt: "{file_path}"}}
                expect:
                  messages: none
                  server: ["I am ready for any client side request on {server_ip}", "I am done"]
                  client: ["I am connecting to server side: {server_ip} as lab"]
                """)
            let output = try runner([path, "--submissions", folder.file("submissions"), "--verbose"])
            #expect(output.status == .exited(0), "\(output.all)")
            #expect(output.stdout.contains("lookup  12/12  12 passed, 0 failed"), "\(output.all)")
            let hostsFiles = (try? FileManager.default.contentsOfDirectory(atPath: "/etc/netns")) ?? []
            #expect(hostsFiles.allSatisfy { !$0.hasPrefix("ferry-") })
        }

        /// `same_host`: a client that talks to 0.0.0.0 works, but `real_address` says it used
        /// loopback; one that uses the server's address passes it.
        @Test func sameHostTellsLoopbackFromTheRealAddress() throws {
            defer { folder.remove() }
            let server = Self.receiveAll + """
                import socket
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("0.0.0.0", 9000)); s.listen(50)
                print("I am ready for any client side request", flush=True)
                for i in range(1, 4):
                    c, _ = s.accept(); data = receive_all(c)
                    c.close(); open("receive%d.txt" % i, "wb").write(data)
                print("I am done")
                """
            func client(_ address: String) -> String {
                "import socket\nfor i in range(3):\n    c = socket.create_connection((\"\(address)\", 9000)); c.sendall(open(\"send.txt\", \"rb\").read()); c.close()\nprint(\"I am done\")\n"
            }
            try submission("anywhere", ["server.py": server, "client.py": client("0.0.0.0")])
            try submission("real", ["server.py": server, "client.py": client("10.99.0.2")])
            let path = try scenario("""
                network: {isolation: same_host}
                transfer: {file: files/sample.txt, repetitions: 3, port: 9000}
                server: {source: "{submission}", command: [python3, server.py], store: "receive{n}.txt", ready: I am ready}
                client: {source: "{submission}", command: [python3, client.py], files: {send.txt: "{file_path}"}}
                expect: {messages: none}
                """)
            let output = try runner([path, "--submissions", folder.file("submissions")])
            #expect(output.status == .exited(1), "\(output.all)")
            #expect(output.stdout.contains { $0.contains("FAIL real_address: 0 connections to 10.99.0.2 port 9000, 3 to loopback on any port") }, "\(output.all)")
            #expect(output.stdout.contains("anywhere  9/10  9 passed, 1 failed"), "\(output.all)")
            #expect(output.stdout.contains("real  10/10  10 passed, 0 failed"), "\(output.all)")
        }

        /// Every copy over one connection: whatever the output says, `connections` fails.
        @Test func oneConnectionForAllTransfersFailsConnections() throws {
            defer { folder.remove() }
            try submission("persistent", [
                "server.py": """
                    import socket, struct
                    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind(("10.99.0.2", 9000)); s.listen(5)
                    print("I am ready for any client side request", flush=True)
                    c, _ = s.accept(); f = c.makefile("rb")
                    for i in range(1, 4):
                        size = struct.unpack("!I", f.read(4))[0]
                        open("receive%d.txt" % i, "wb").write(f.read(size))
                    print("I am done")
                    """,
                "client.py": """
                    import socket, struct
                    data = open("send.txt", "rb").read()
                    c = socket.create_connection(("10.99.0.2", 9000))
                    for i in range(3):
                        c.sendall(struct.pack("!I", len(data)) + data)
                    c.close(); print("I am done")
                    """,
            ])
            let path = try scenario("""
                network: {isolation: namespaces}
                transfer: {file: files/sample.txt, repetitions: 3, port: 9000}
                server: {source: "{submission}", command: [python3, server.py], store: "receive{n}.txt", ready: I am ready}
                client: {source: "{submission}", command: [python3, client.py], files: {send.txt: "{file_path}"}}
                expect: {messages: none, points: {copies: 10, connections: 10}}
                """)
            let output = try runner([path, "--submissions", folder.file("submissions")])
            #expect(output.status == .exited(1))
            #expect(output.stdout.contains { $0.contains("FAIL connections: 1 TCP connections accepted for 3 transfers") }, "\(output.all)")
            #expect(output.stdout.contains("persistent  10/20  8 passed, 1 failed"), "\(output.all)")
        }

        /// A C submission compiled by `build`, and one whose build fails: the compiler's last lines
        /// are quoted, the side does not start.
        @Test func cSubmissionsAreBuiltAndABrokenBuildIsAFailedCheck() throws {
            defer { folder.remove() }
            let server = """
                #include <arpa/inet.h>
                #include <stdio.h>
                #include <unistd.h>
                int main(void) {
                    int s = socket(AF_INET, SOCK_STREAM, 0), on = 1;
                    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
                    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9000)};
                    inet_pton(AF_INET, "10.99.0.2", &a.sin_addr);
                    if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 16)) { perror("bind"); return 1; }
                    printf("I am ready for any client side request\\n"); fflush(stdout);
                    char buffer[65536], name[64];
                    for (int i = 1; i <= 3; i++) {
                        int c = accept(s, 0, 0);
                        snprintf(name, sizeof name, "receive%d.txt", i);
                        FILE *out = fopen(name, "wb");
                        ssize_t got;
                        while ((got = read(c, buffer, sizeof buffer)) > 0) fwrite(buffer, 1, got, out);
                        fclose(out); close(c);
                    }
                    printf("I am done\\n");
                    return 0;
                }
                """
            let client = """
                #include <arpa/inet.h>
                #include <stdio.h>
                #include <unistd.h>
                int main(void) {
                    char buffer[65536];
                    for (int i = 1; i <= 3; i++) {
                        int s = socket(AF_INET, SOCK_STREAM, 0);
                        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9000)};
                        inet_pton(AF_INET, "10.99.0.2", &a.sin_addr);
                        if (connect(s, (struct sockaddr *)&a, sizeof a)) { perror("connect"); return 1; }
                        FILE *in = fopen("send.txt", "rb");
                        size_t got;
                        while ((got = fread(buffer, 1, sizeof buffer, in)) > 0) write(s, buffer, got);
                        fclose(in); close(s);
                    }
                    printf("I am done\\n");
                    return 0;
                }
                """
            try submission("builds", ["server.c": server, "client.c": client])
            try submission("broken", ["server.c": server.replacingOccurrences(of: "return 0;", with: "return 0"), "client.c": client])
            let path = try scenario("""
                network: {isolation: namespaces}
                transfer: {file: files/sample.txt, repetitions: 3, port: 9000}
                server:
                  source: "{submission}"
                  build: [gcc, -o, server, server.c]
                  command: [./server]
                  store: "receive{n}.txt"
                  ready: I am ready
                client:
                  source: "{submission}"
                  build: [gcc, -o, client, client.c]
                  command: [./client]
                  files: {send.txt: "{file_path}"}
                expect: {messages: none, points: {server.build: 5, client.build: 5, copies: 10}}
                """)
            let output = try runner([path, "--submissions", folder.file("submissions")])
            #expect(output.status == .exited(1))
            #expect(output.stdout.contains("builds  20/20  11 passed, 0 failed"), "\(output.all)")
            #expect(output.stdout.contains("broken  5/20  1 passed, 1 failed, 9 skipped"), "\(output.all)")
            #expect(output.stdout.contains { $0.contains("FAIL server.build: gcc -o server server.c ended with exit status 1; the server was not started") })
            #expect(output.stdout.contains { $0.contains("server.c:21:13: error: expected") }, "\(output.all)")
        }

        /// `--jobs 2` gives the same scores as `--jobs 1`, and its output is not interleaved.
        @Test func jobsGiveTheSameScores() throws {
            defer { folder.remove() }
            let root = repositoryRoot()
            let arguments = ["\(root)/scenarios/grading/grading.yaml", "--submissions", "\(root)/scenarios/grading/submissions"]
            let one = try runner(arguments + ["--jobs", "1"], work: "one")
            let two = try runner(arguments + ["--jobs", "2"], work: "two")
            #expect(one.status == two.status)
            let stripTimes = { (lines: [String]) in lines.map { $0.replacingOccurrences(of: #"[0-9]+\.[0-9]+|/tmp/\S+"#, with: "", options: .regularExpression) } }
            #expect(stripTimes(one.stdout.filter { !$0.hasPrefix("work directory") }) == stripTimes(two.stdout.filter { !$0.hasPrefix("work directory") }))
            let first = try String(contentsOfFile: folder.file("one/scores.csv"), encoding: .utf8)
            let second = try String(contentsOfFile: folder.file("two/scores.csv"), encoding: .utf8)
            #expect(first == second && first.contains("alice,95,100"))
        }
    
        /// Submissions that try to look right without doing the work: empty connections while the
        /// server copies the standard itself, connection attempts before the server listens and
        /// then one connection for everything, and a token connection to the real address while the
        /// data goes over loopback. None of them passes what it fakes.
        @Test func fakedTransfersAreNotCounted() throws {
            defer { folder.remove() }
            let server = { (body: String) in
                Self.receiveAll + "import os, shutil, socket, struct, time\ns = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n" + body
            }
            try submission("copier", [
                "server.py": server("""
                    s.bind(("10.99.0.2", 9000)); s.listen(50)
                    print("I am ready", flush=True)
                    for i in range(1, 4):
                        c, _ = s.accept(); c.close(); shutil.copy("CompareStandard.txt", "receive%d.txt" % i)
                    """),
                "client.py": "import socket\nfor i in range(3): socket.create_connection((\"10.99.0.2\", 9000)).close()\n",
            ])
            try submission("eager", [
                "server.py": server("""
                    print("I am ready", flush=True); time.sleep(1)
                    s.bind(("10.99.0.2", 9000)); s.listen(50)
                    c, _ = s.accept(); f = c.makefile("rb")
                    for i in range(1, 4):
                        size = struct.unpack("!I", f.read(4))[0]; open("receive%d.txt" % i, "wb").write(f.read(size))
                    """),
                "client.py": """
                    import socket, struct, time
                    data = open("send.txt", "rb").read()
                    while True:
                        try: c = socket.create_connection(("10.99.0.2", 9000)); break
                        except OSError: time.sleep(0.05)
                    for i in range(3): c.sendall(struct.pack("!I", len(data)) + data)
                    c.close()
                    """,
            ])
            let path = try scenario("""
                network: {isolation: namespaces}
                transfer: {file: files/sample.txt, repetitions: 3, port: 9000}
                server: {source: "{submission}", command: [python3, server.py], files: {CompareStandard.txt: "{standard_path}"}, store: "receive{n}.txt", ready: I am ready}
                client: {source: "{submission}", command: [python3, client.py], files: {send.txt: "{file_path}"}}
                expect: {messages: none}
                """)
            let output = try runner([path, "--submissions", folder.file("submissions")])
            #expect(output.stdout.contains { $0.contains("FAIL copies: 0 identical, 0 differing, 3 missing of 3") && $0.contains("at most 0 of the 3 identical copies can have crossed the network") }, "\(output.all)")
            #expect(output.stdout.contains { $0.contains("FAIL connections: 1 TCP connections accepted for 3 transfers") }, "\(output.all)")

            try FileManager.default.removeItem(atPath: folder.file("submissions"))
            try submission("sidestep", [
                "server.py": server("""
                    s.bind(("10.99.0.2", 9000)); s.listen(50)
                    data = socket.socket(); data.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    data.bind(("127.0.0.1", 9001)); data.listen(50)
                    print("I am ready", flush=True)
                    for i in range(1, 4):
                        s.accept()[0].close()
                        c, _ = data.accept(); body = receive_all(c)
                        c.close(); open("receive%d.txt" % i, "wb").write(body)
                    """),
                "client.py": """
                    import socket
                    for i in range(3):
                        socket.create_connection(("10.99.0.2", 9000)).close()
                        c = socket.create_connection(("127.0.0.1", 9001)); c.sendall(open("send.txt", "rb").read()); c.close()
                    """,
            ])
            let sameHost = try scenario("""
                network: {isolation: same_host}
                transfer: {file: files/sample.txt, repetitions: 3, port: 9000}
                server: {source: "{submission}", command: [python3, server.py], store: "receive{n}.txt", ready: I am ready}
                client: {source: "{submission}", command: [python3, client.py], files: {send.txt: "{file_path}"}}
                expect: {messages: none}
                """)
            let sidestep = try runner([sameHost, "--submissions", folder.file("submissions")], work: "work2")
            #expect(sidestep.stdout.contains { $0.contains("FAIL real_address: 3 connections to 10.99.0.2 port 9000, 3 to loopback on any port") }, "\(sidestep.all)")
            #expect(sidestep.stdout.contains { $0.contains("FAIL copies: 0 identical") }, "\(sidestep.all)")
        }
    }
}
