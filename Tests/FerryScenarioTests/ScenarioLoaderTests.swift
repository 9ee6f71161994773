import FerryScenario
import FerryTestSupport
import Foundation
import Testing

@Suite struct ScenarioLoaderTests {
    let folder: TemporaryDirectory

    init() throws {
        folder = try TemporaryDirectory("ferry-scenario")
        try FileManager.default.createDirectory(atPath: folder.file("files"), withIntermediateDirectories: true)
        try folder.write("files/sample.txt", bytes: Array("hello\n".utf8))
    }

    private func load(_ text: String) throws -> Scenario {
        try ScenarioLoader.decode(text, path: folder.file("x.yaml"))
    }

    /// The first line of the error for `text`, the folder left out.
    private func headline(_ text: String) -> String? {
        scenarioErrorHeadline(text, in: folder)?.replacingOccurrences(of: folder.path + "/", with: "")
    }

    /// `runner --set KEY=VALUE`: a value replaced or added by its dotted path, validated like the
    /// file, with errors that point at the override.
    @Test func overridesReplaceAndAddValuesAndAreValidated() throws {
        let text = "name: demo\ntransfer:\n  file: files/sample.txt\n  repetitions: 100\n"
        let path = folder.file("x.yaml")
        func decode(_ overrides: String...) throws -> Scenario {
            try ScenarioLoader.decode(text, path: path, overrides: overrides.map(ScenarioOverride.init))
        }
        let scenario = try decode("transfer.repetitions=10", "transfer.protocol=[tcp, udp]", "network.impair.loss=[0%, 5%]")
        #expect(scenario.transfer.repetitions == 10)
        #expect(scenario.cases.map(\.name) == ["demo[tcp,1048576,loss 0%]", "demo[tcp,1048576,loss 5%]", "demo[udp,1400,loss 0%]", "demo[udp,1400,loss 5%]"])
        func headline(_ overrides: String...) -> String? {
            do {
                _ = try ScenarioLoader.decode(text, path: path, overrides: overrides.map(ScenarioOverride.init))
                return nil
            } catch let error as SourceError {
                return error.description.split(separator: "\n").first.map(String.init)
            } catch {
                return "\(error)"
            }
        }
        #expect(headline("transfer.repetitions=ten") == "--set transfer.repetitions=ten:1:1: 'repetitions' must be a whole number, not 'ten'")
        #expect(headline("transfer.repetitons=3") == "--set transfer.repetitons=3:1:1: unknown key 'repetitons' in 'transfer' (did you mean 'repetitions'?)")
        #expect(headline("name.x=1") == "--set name.x=1:1:1: 'x' cannot be set: its parent is a scalar, not a mapping")
        #expect(headline("transfer.repetitions=[1") == "--set transfer.repetitions=[1:2:1: did not find expected ',' or ']' while parsing a flow sequence")
        #expect(headline("transfer.repetitions") == "--set transfer.repetitions: expected KEY=VALUE, such as transfer.repetitions=10")
        #expect(headline("transfer..port=1") == "--set transfer..port=1: a key of the path is empty; write keys separated by dots, such as transfer.repetitions")
    }

    @Test func fullScenarioDecodes() throws {
        defer { folder.remove() }
        let scenario = try load("""
            name: tcp-100
            description: Send it.
            network: {isolation: namespaces, server_ip: 10.99.0.2, client_ip: 10.99.0.1}
            transfer:
              protocol: tcp
              port: 5001
              file: files/sample.txt
              repetitions: 100
              buffer_sizes: [4096, 64KiB]
            server:
              command: [python3, server.py, "{server_ip}", "{port}"]
              env: {PYTHONUNBUFFERED: "1"}
              store: received
              ready: "I am ready for any client side request"
            timeouts: {ready: 5s, case: 2m}
            expect:
              exit_code: 0
              max_error_rate: 5%
              max_average_ms: 50
              messages: seed
              server: ["I am ready", {each: 'I am starting receiving file "{file}" for the {nth} time'}, {absent: Traceback}]
              match: {ignore_case: true, quotes: ignore}
            """)
        #expect(scenario.name == "tcp-100")
        #expect(scenario.network.isolation == .namespaces)
        #expect(scenario.transfer.file == folder.file("files/sample.txt"))
        #expect(scenario.transfer.standard == scenario.transfer.file)
        #expect(scenario.transfer.bufferSizes == [4096, 65536])
        #expect(scenario.timeouts.ready == 5 && scenario.timeouts.caseLimit == 120)
        #expect(scenario.expect.maxErrorRate == 5 && scenario.expect.maxIncorrect == nil)
        #expect(scenario.expect.seed)
        #expect(scenario.expect.server.map(\.kind) == [.contains, .each, .absent])
        #expect(scenario.expect.match == MatchOptions(ignoreCase: true, ignoreQuotes: true))
        #expect(scenario.server?.command == ["python3", "server.py", "{server_ip}", "{port}"])
        #expect(scenario.cases.map(\.name) == ["tcp-100[tcp,4096]", "tcp-100[tcp,65536]"])
    }

    @Test func defaultsApply() throws {
        defer { folder.remove() }
        let scenario = try load("transfer: {file: files/sample.txt}\n")
        #expect(scenario.name == "x")
        #expect(scenario.network.isolation == .auto)
        #expect(scenario.transfer.port == 5001)
        #expect(scenario.transfer.repetitions == 100)
        #expect(scenario.transfer.protocols == [.tcp])
        #expect(scenario.expect.maxIncorrect == 0)
        #expect(scenario.expect.seed)
        #expect(scenario.cases.map(\.name) == ["x"])
    }

    @Test func validationErrorsNameFileLineAndColumn() {
        defer { folder.remove() }
        let base = "transfer:\n  file: files/sample.txt\n"
        #expect(headline(base + "  repetitons: 10\n") == "x.yaml:3:3: unknown key 'repetitons' in 'transfer' (did you mean 'repetitions'?)")
        #expect(headline("nmae: x\n" + base) == "x.yaml:1:1: unknown key 'nmae' in the scenario (did you mean 'name'?)")
        #expect(headline(base + "  colour: red\n") == "x.yaml:3:3: unknown key 'colour' in 'transfer'")
        #expect(headline("name: x\n") == "x.yaml:1:1: missing required key 'transfer' in the scenario")
        #expect(headline("transfer:\n  port: 5001\n") == "x.yaml:2:3: missing required key 'file' in 'transfer'")
        #expect(headline(base + "  repetitions: ten\n") == "x.yaml:3:16: 'repetitions' must be a whole number, not 'ten'")
        #expect(headline(base + "  port: 70000\n") == "x.yaml:3:9: 'port' must be 1 to 65535, not 70000")
        #expect(headline(base + "  buffer_sizes: [4096, 12 parsecs]\n")
            == "x.yaml:3:24: 'buffer_sizes' must be a size such as 4096, 64KiB or 1MiB, not '12 parsecs'")
        #expect(headline(base + "timeouts: {ready: 5 fortnights}\n")
            == "x.yaml:3:19: 'ready' must be a duration such as 500ms, 5s or 2m, not '5 fortnights'")
        #expect(headline(base + "expect: {max_error_rate: 5}\n") == "x.yaml:3:26: 'max_error_rate' must be a percentage such as 5% or 0.1%, not '5'")
        #expect(headline(base + "expect: {max_incorrect: 1, max_error_rate: 5%}\n")
            == "x.yaml:3:44: give either 'max_incorrect' or 'max_error_rate', not both")
        #expect(headline("transfer: 5\n") == "x.yaml:1:11: 'transfer' must be a mapping, not a scalar")
        #expect(headline("transfer:\n  file: files/nope.txt\n")
            == "x.yaml:2:9: 'file' file 'files/nope.txt' not found (looked for files/nope.txt)")  // folder prefix stripped
        #expect(headline(base + "network: {server_ip: 127.0.0.1}\n")
            == "x.yaml:3:22: 'server_ip' 127.0.0.1 is a loopback address: the transfer must use a real network address")
        #expect(headline(base + "network: {isolation: docker}\n") == "x.yaml:3:22: 'isolation' must be one of auto, namespaces, same_host, host, not 'docker'")
        #expect(headline(base + "  protocol: sctp\n") == "x.yaml:3:13: 'protocol' must be one of tcp, udp, rudp, not 'sctp'")
        #expect(headline(base + "expect:\n  server: [{each: 'file {fille} for the {nth} time'}]\n")
            == "x.yaml:4:19: unknown placeholder '{fille}' (did you mean '{file}'?)")
        #expect(headline(base + "expect:\n  server: [{sometimes: x}]\n")
            == "x.yaml:4:13: unknown key 'sometimes' in 'server'")
        #expect(headline(base + "server: {command: [x, '{ip}']}\n") == "x.yaml:3:19: unknown placeholder '{ip}'")
    }

    @Test func remoteHostsDecodeAndRuleOutWhatNeedsNamespaces() throws {
        defer { folder.remove() }
        try folder.write("key", bytes: Array("not a real key\n".utf8))
        let base = "transfer:\n  file: files/sample.txt\nnetwork: {server_ip: 192.0.2.10}\n"
        let scenario = try load(base + "hosts:\n  server: {ssh: lab@pc-7, port: 2222, identity: key, known_hosts: kh}\n  client: {ssh: pi}\n")
        #expect(scenario.hosts.server == RemoteHost(destination: "lab@pc-7", port: 2222, identity: folder.file("key"),
                                                    knownHosts: folder.file("kh")))
        #expect(scenario.hosts.client == RemoteHost(destination: "pi"))
        #expect(scenario.hosts.client?.workdir == "/tmp/ferry-run")
        #expect(try load(base).hosts == HostsSpec())
        let remote = "hosts: {server: {ssh: lab@pc-7}}\n"
        #expect(headline("transfer:\n  file: files/sample.txt\n" + remote)
            == "x.yaml:3:8: 'hosts.server' needs 'network.server_ip': the server machine's address as the client sees it, or auto")
        #expect(headline(base.replacingOccurrences(of: "}", with: ", isolation: namespaces}") + remote)
            == "x.yaml:4:8: 'hosts' runs a side on another machine: 'isolation' must be auto or host, not 'namespaces'")
        #expect(headline(base.replacingOccurrences(of: "}", with: ", impair: {loss: 1%}}") + remote)
            == "x.yaml:4:8: 'impair' with 'hosts' changes the firewall and qdisc of the machines the sides run on: set 'impair.allow_remote: true' to allow it")
        #expect(try load(base.replacingOccurrences(of: "}", with: ", impair: {rate: 10mbit, allow_remote: true}}") + remote).network.impair?.rate?.text == "10mbit")
        #expect(try load(base.replacingOccurrences(of: "}", with: ", impair: {loss: [0%, 5%], allow_remote: true}}") + remote).cases.count == 2)
        #expect(headline(base.replacingOccurrences(of: "}", with: ", impair: {loss: 1%, allow_remote: true}}"))
            == "x.yaml:3:10: 'impair.allow_remote' is for scenarios with 'hosts'")
        #expect(headline(base + "server: {command: [python3, s.py]}\n" + remote)
            == "x.yaml:5:8: 'hosts.server' with a 'server' command needs its 'ready' line: the runner cannot see another machine's ports")
        #expect(headline(base + "server: {command: [python3, s.py], ready: up, cwd: /tmp}\n" + remote)
            == "x.yaml:5:8: 'server.cwd' names a folder on this machine; a side on another machine runs in a folder the runner copies there")
        #expect(try load(base + "server: {command: [python3, s.py], ready: up}\n" + remote).server?.ready == "up")
        #expect(headline(base + "hosts: {server: {ssh: '-oProxyCommand=x'}}\n")
            == "x.yaml:4:23: 'ssh' must be user@host or host (for an IPv6 address, a Host of the ssh configuration), not '-oProxyCommand=x'")
        #expect(headline(base + "hosts: {server: {ssh: 'lab@fd00::2'}}\n")
            == "x.yaml:4:23: 'ssh' must be user@host or host (for an IPv6 address, a Host of the ssh configuration), not 'lab@fd00::2'")
        #expect(headline(base + "hosts: {server: {ssh: a, workdir: tmp}}\n")
            == "x.yaml:4:35: 'workdir' must be an absolute folder other than /, without '..', spaces or quotes, not 'tmp'")
        #expect(headline(base + "hosts: {server: {sh: a}}\n") == "x.yaml:4:18: unknown key 'sh' in 'server' (did you mean 'ssh'?)")
    }

    @Test func gradingKeysDecode() throws {
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.file("alice"), withIntermediateDirectories: true)
        let scenario = try load("""
            transfer: {file: files/sample.txt, port: 9000}
            network:
              isolation: same_host
              hostnames: {server: lab, client: lab}
              hosts: {lab: "{server_ip}", other: 10.0.0.9}
            server:
              command: [python3, server.py]
              source: "{submission}"
              files: {CompareStandard.txt: "{standard_path}", data/send.txt: files/sample.txt}
              build: [javac, Server.java]
              store: "out/receive{n}.txt"
            client:
              command: [python3, client.py]
              source: alice
            expect:
              match: loose
              counter_base: 0
              server: [{each: "got {n}", points: 5, name: got}, bye]
              points: {copies: 40, server.exit: 5, server.lines.time: 2}
            """)
        #expect(scenario.network.isolation == .sameHost)
        #expect(scenario.network.serverHostname == "lab" && scenario.network.clientHostname == "lab")
        #expect(scenario.network.hosts.map(\.name) == ["lab", "other"] && scenario.network.hosts[0].address == "{server_ip}")
        let server = try #require(scenario.server)
        #expect(server.source == "{submission}")
        #expect(server.files.map(\.name) == ["CompareStandard.txt", "data/send.txt"])
        #expect(server.build == ["javac", "Server.java"])
        #expect(server.store == .pattern("out/receive{n}.txt"))
        #expect(server.store?.folder == "out" && server.store?.namePattern == "receive{n}.txt")
        #expect(scenario.client?.source == "alice")
        #expect(scenario.expect.match == MatchOptions(ignoreCase: true, ignoreQuotes: true, ignorePunctuation: true, anyOrdinal: true, counterBase: 0))
        #expect(scenario.expect.seed)
        #expect(scenario.expect.server.map(\.name) == ["got", "2"] && scenario.expect.server[0].points == 5)
        #expect(scenario.expect.points == ["copies": 40, "server.exit": 5, "server.lines.time": 2])
        let mapping = try load("transfer: {file: files/sample.txt}\nexpect:\n  match: {punctuation: ignore, ordinals: any}\n  messages: none\n")
        #expect(mapping.expect.match == MatchOptions(ignorePunctuation: true, anyOrdinal: true))
        #expect(!mapping.expect.seed)
    }

    @Test func gradingKeyErrorsNameFileLineAndColumn() {
        defer { folder.remove() }
        let base = "transfer:\n  file: files/sample.txt\n"
        #expect(headline(base + "network: {server_ip: 0.0.0.0}\n")
            == "x.yaml:3:22: 'server_ip' 0.0.0.0 is not an address a client can reach between two hosts; for programs that talk to 0.0.0.0 or 127.0.0.1 use 'isolation: same_host'")
        #expect(headline(base + "network: {server_ip: '::'}\n")?.hasPrefix("x.yaml:3:22: 'server_ip' :: is not an address") == true)
        #expect(headline(base + "server: {command: [x], store: 'out/{n}/copy.txt'}\n")
            == "x.yaml:3:31: 'store' pattern must have '{n}' in the file name, not in a folder")
        #expect(headline(base + "server: {command: [x], store: 'a{n}b{n}'}\n")
            == "x.yaml:3:31: 'store' pattern must hold '{n}' once, as in receive{n}.txt")
        #expect(headline(base + "server: {command: [x], files: {../up.txt: files/sample.txt}}\n")
            == "x.yaml:3:32: 'files' name '../up.txt' must be a relative path to a file inside the side's folder")
        #expect(headline(base + "server: {command: [x], files: {.: files/sample.txt}}\n")
            == "x.yaml:3:32: 'files' name '.' must be a relative path to a file inside the side's folder")
        #expect(headline(base + "server: {command: [x], source: nowhere}\n")
            == "x.yaml:3:32: 'source' folder 'nowhere' not found (looked for nowhere)")
        #expect(headline(base + "server: {command: [x], source: files, cwd: files}\n")
            == "x.yaml:3:32: give either 'cwd' or 'source', not both: 'source' runs the side in its own copy")
        #expect(headline(base + "expect: {match: sloppy}\n") == "x.yaml:3:17: 'match' must be exact, loose or a mapping, not 'sloppy'")
        #expect(headline(base + "expect: {match: {ordinals: some}}\n") == "x.yaml:3:28: 'ordinals' must be exact or any, not 'some'")
        #expect(headline(base + "expect: {counter_base: 2}\n") == "x.yaml:3:24: 'counter_base' must be 0 to 1, not 2")
        #expect(headline(base + "expect: {points: {server.exits: 4}}\n") == "x.yaml:3:19: unknown check 'server.exits' in 'points' (did you mean 'server.exit'?)")
        #expect(headline(base + "network: {isolation: host, hostnames: {server: lab}}\n")
            == "x.yaml:3:39: 'hostnames' needs namespace isolation, not 'host'")
        #expect(headline(base + "network: {hostnames: {server: 'lab pc'}}\n")
            == "x.yaml:3:31: 'server' host name 'lab pc' must be letters, digits, '-' and '.', at most 64 characters")
    }

    @Test func errorsShowTheSourceLineAndACaret() {
        defer { folder.remove() }
        let error = #expect(throws: SourceError.self) { try load("transfer:\n  file: files/sample.txt\n  repetitons: 10\n") }
        #expect(error?.description.hasSuffix("\n      repetitons: 10\n      ^") == true)
    }
}

@Suite struct ImpairmentScenarioTests {
    let folder: TemporaryDirectory

    init() throws {
        folder = try TemporaryDirectory("ferry-impair")
        try folder.write("sample.txt", bytes: Array("hello\n".utf8))
    }

    private func load(_ text: String) throws -> Scenario {
        try ScenarioLoader.decode(text, path: folder.file("x.yaml"))
    }

    private func headline(_ text: String) -> String? {
        scenarioErrorHeadline(text, in: folder)
    }

    @Test func protocolsBuffersAndLossesMakeOneCaseEach() throws {
        defer { folder.remove() }
        let scenario = try load("""
            name: cmp
            network: {impair: {loss: [0%, 5%], direction: to_server, rate: 100mbit}}
            transfer: {file: sample.txt, protocol: [tcp, udp]}
            expect:
              max_incorrect: 0
              overrides:
                - {protocol: udp, max_error_rate: 100%}
                - {protocol: udp, loss: 5%, min_incorrect: 1}
            """)
        let cases = scenario.cases
        #expect(cases.map(\.name) == ["cmp[tcp,1048576,loss 0%]", "cmp[tcp,1048576,loss 5%]", "cmp[udp,1400,loss 0%]", "cmp[udp,1400,loss 5%]"])
        #expect(cases[3].impairmentDescription == "loss 5% to_server, rate 100mbit")
        #expect(cases[0].expectations.maxIncorrect == 0 && cases[0].expectations.minIncorrect == nil)
        #expect(cases[2].expectations.maxErrorRate == 100 && cases[2].expectations.maxIncorrect == nil)
        #expect(cases[2].expectations.minIncorrect == nil)
        #expect(cases[3].expectations.minIncorrect == 1)
    }

    @Test func impairErrorsPointAtTheKey() {
        defer { folder.remove() }
        let base = "transfer: {file: sample.txt}\n"
        #expect(headline(base + "network: {impair: {loss: 5}}\n") == "\(folder.file("x.yaml")):2:26: 'loss' must be a percentage such as 5% or 0.1%, not '5'")
        #expect(headline(base + "network: {impair: {direction: up}}\n") == "\(folder.file("x.yaml")):2:31: 'direction' must be to_server, to_client or both, not 'up'")
        #expect(headline(base + "network: {impair: {rate: fast}}\n") == "\(folder.file("x.yaml")):2:26: 'rate' must be a rate such as 100mbit or 1gbit, not 'fast'")
        #expect(headline(base + "network: {impair: {delay: 5%}}\n") == "\(folder.file("x.yaml")):2:27: 'delay' must be a duration such as 20ms, not '5%'")
        #expect(headline(base + "network: {impair: {los: 5%}}\n") == "\(folder.file("x.yaml")):2:20: unknown key 'los' in 'impair' (did you mean 'loss'?)")
        #expect(headline(base + "network: {isolation: host, impair: {loss: 5%}}\n") == "\(folder.file("x.yaml")):2:36: 'impair' needs namespace isolation, not 'host'")
        #expect(headline("transfer: {file: sample.txt, protocol: udp, buffer_sizes: [1400, 64KiB]}\n")
            == "\(folder.file("x.yaml")):1:66: 'buffer_sizes' 65536 is too large for udp: at most 65483 bytes per datagram")
        #expect(headline(base + "expect: {overrides: [{protocol: quic}]}\n") == "\(folder.file("x.yaml")):2:33: 'protocol' must be one of tcp, udp, rudp, not 'quic'")
    }
}

/// The first line of the error that scenario `text` (as `x.yaml` in `folder`) gives, or nil when it loads.
func scenarioErrorHeadline(_ text: String, in folder: TemporaryDirectory) -> String? {
    do {
        _ = try ScenarioLoader.decode(text, path: folder.file("x.yaml"))
        return nil
    } catch let error as SourceError {
        return error.headline
    } catch {
        return "\(error)"
    }
}

@Suite struct CheckNameTests {
    @Test func everyCheckNameIsDocumented() throws {
        let docs = try String(contentsOfFile: "\(repositoryRoot())/docs/scenario-format.md", encoding: .utf8)
        for name in CheckName.builtIn {
            let listed = name.contains(".lines.") ? docs.contains("\n\(name) ") : docs.contains("`\(name)`")
            #expect(listed, "\(name) is not in docs/scenario-format.md")
        }
    }
}
