import FerryCore
import FerryRunner
import FerryTestSupport
import Foundation
import Testing


extension NamespaceSuites {
    /// The built `server` and `client` between two network namespaces joined by a veth pair.
    @Suite struct NamespaceTransferTests {
        let folder: TemporaryDirectory
        let sample = "\(repositoryRoot())/scenarios/files/sample.txt"

        init() throws {
            folder = try TemporaryDirectory("ferry-e2e")
            #expect(BuiltProducts.exists("server"), "run 'swift build' first: no \(BuiltProducts.path("server"))")
        }

        private func serverArguments(_ standard: String, count: Int, ip: String = "10.99.0.2", extra: [String] = []) -> [String] {
            ["--ip", ip, "--port", "5001", "--standard", standard, "--count", String(count), "--store", folder.file("received"),
             "--json", folder.file("server.json")] + extra
        }

        private func clientArguments(_ file: String, count: Int, server: String = "10.99.0.2", extra: [String] = []) -> [String] {
            ["--server", server, "--port", "5001", "--file", file, "--count", String(count)] + extra
        }

        private func storedCopies() throws -> [String] {
            try FileManager.default.contentsOfDirectory(atPath: folder.file("received")).sorted()
        }

        @Test func hundredTransfersGiveHundredIdenticalCopies() throws {
            defer { folder.remove() }
            let (server, client) = try TestHosts.withPair { pair in
                try PairRun.run(pair: pair, server: serverArguments(sample, count: 100), client: clientArguments(sample, count: 100),
                                workingDirectory: folder.path)
            }
            #expect(server.termination == .exited(0), "\(server.stderr)")
            #expect(client.termination == .exited(0), "\(client.stderr)")
            #expect(server.stdout.first == "I am ready for any client side request")
            #expect(server.stdout.contains("Incorrect transfers: 0 of 100 (error rate 0.00%)"))
            #expect(server.stdout.last == "I am done")
            #expect(client.stdout.first == "I am connecting to server side: 10.99.0.2")
            #expect(client.stdout.last == "I am done")

            let copies = try storedCopies()
            #expect(copies.count == 100)
            for n in 1...100 {
                #expect(FileManager.default.contentsEqual(atPath: folder.file("received/sample.\(n).txt"), andPath: sample))
            }
            for (output, lines, averageLine) in [
                (server.stdout, SeedLines.serverTransferLines, Messages.serverAverage),
                (client.stdout, SeedLines.clientTransferLines, Messages.clientAverage),
            ] {
                let times = try SeedLines.times(in: output, file: "sample.txt", count: 100, lines: lines).get()
                #expect(times.count == 100)
                let average = try #require(SeedLines.figure(in: output, of: averageLine))
                #expect(abs(average - times.reduce(0, +) / 100) <= 0.0005 + 1e-9)  // half a printed digit, plus rounding
            }
            let json = try JSONDecoder().decode(ResultsFile.self, from: Data(contentsOf: URL(fileURLWithPath: folder.file("server.json"))))
            #expect(json.summary.count == 100 && json.summary.incorrect == 0)
        }

        @Test func aStandardThatDiffersMakesEveryTransferIncorrect() throws {
            defer { folder.remove() }
            var bytes = [UInt8](FileManager.default.contents(atPath: sample)!)
            bytes[100] ^= 0x20
            let standard = try folder.write("sample.txt", bytes: bytes)
            let (server, client) = try TestHosts.withPair { pair in
                try PairRun.run(pair: pair, server: serverArguments(standard, count: 100), client: clientArguments(sample, count: 100),
                                workingDirectory: folder.path)
            }
            #expect(server.termination == .exited(0))
            #expect(client.termination == .exited(0))
            #expect(server.stdout.contains("Incorrect transfers: 100 of 100 (error rate 100.00%)"))
            #expect(client.stdout.contains("The server's verdict on \"sample.txt\" for the 100th time: different"))
            #expect(try storedCopies().count == 100)
        }

        @Test func aClientKilledMidTransferCostsOneTransfer() throws {
            defer { folder.remove() }
            let big = try folder.makePatternFile("big.bin", size: 100 << 20)
            let (server, secondClient) = try TestHosts.withPair { pair in
                // Slow the link so the kill lands mid-transfer: 100 MiB at 200 Mbit/s takes about 4 s.
                try Tool.run(["ip", "netns", "exec", pair.clientNamespace, "tc", "qdisc", "add", "dev", pair.clientLink, "root",
                              "tbf", "rate", "200mbit", "burst", "64kb", "latency", "50ms"])
                let serverProcess = try ChildProcess(
                    arguments: pair.inServer([BuiltProducts.path("server")] + serverArguments(big, count: 3)),
                    workingDirectory: folder.path)
                defer { serverProcess.stop() }
                #expect(serverProcess.output.waitForLine(until: Date().addingTimeInterval(20)) { $0.text.hasPrefix("I am ready") })
                let first = try ChildProcess(arguments: pair.inClient([BuiltProducts.path("client")] + clientArguments(big, count: 1)))
                #expect(serverProcess.output.waitForLine(until: Date().addingTimeInterval(20)) { $0.text.hasPrefix("I am starting receiving") })
                usleep(500_000)
                first.signalGroup(SIGKILL)
                _ = first.stop()
                try Tool.run(["ip", "netns", "exec", pair.clientNamespace, "tc", "qdisc", "del", "dev", pair.clientLink, "root"])
                let second = try ChildProcess(arguments: pair.inClient([BuiltProducts.path("client")] + clientArguments(big, count: 2)))
                defer { second.stop() }
                let secondEnd = second.wait(until: Date().addingTimeInterval(120))
                let serverEnd = serverProcess.wait(until: Date().addingTimeInterval(60))
                return (PairRun.side(serverProcess, serverEnd), PairRun.side(second, secondEnd))
            }
            #expect(server.termination == .exited(0), "\(server.stderr)")
            #expect(secondClient.termination == .exited(0), "\(secondClient.stderr)")
            #expect(server.stdout.contains("Incorrect transfers: 1 of 3 (error rate 33.33%)"))
            #expect(server.stdout.contains { $0.hasPrefix("The copy of \"big.bin\" for the 1st time is incomplete, stored as ") })
            #expect(try storedCopies() == ["big.1.bin.partial", "big.2.bin", "big.3.bin"])
            #expect(FileManager.default.contentsEqual(atPath: folder.file("received/big.3.bin"), andPath: big))
        }

        @Test func emptyAndLargeFilesArrive() throws {
            defer { folder.remove() }
            let empty = try folder.write("empty.txt", bytes: [])
            let big = try folder.makePatternFile("big.bin", size: 100 << 20)
            for (file, count) in [(empty, 3), (big, 2)] {
                let (server, client) = try TestHosts.withPair { pair in
                    try PairRun.run(pair: pair, server: serverArguments(file, count: count), client: clientArguments(file, count: count),
                                    workingDirectory: folder.path)
                }
                #expect(server.termination == .exited(0), "\(server.stderr)")
                #expect(client.termination == .exited(0), "\(client.stderr)")
                #expect(server.stdout.contains("Incorrect transfers: 0 of \(count) (error rate 0.00%)"))
            }
            #expect(FileManager.default.contentsEqual(atPath: folder.file("received/big.2.bin"), andPath: big))
            #expect(FileManager.default.contents(atPath: folder.file("received/empty.3.txt")) == Data())
        }

        @Test func ipv6Works() throws {
            defer { folder.remove() }
            let (server, client) = try TestHosts.withPair(ipv6: true) { pair in
                try PairRun.run(pair: pair, server: serverArguments(sample, count: 5, ip: "fd00:99::2"),
                                client: clientArguments(sample, count: 5, server: "fd00:99::2"), workingDirectory: folder.path)
            }
            #expect(server.termination == .exited(0), "\(server.stderr)")
            #expect(client.stdout.first == "I am connecting to server side: fd00:99::2")
            #expect(server.stdout.contains("Incorrect transfers: 0 of 5 (error rate 0.00%)"))
        }

        @Test(arguments: ["udp", "rudp"])
        func datagramProtocolsOnACleanLinkGiveIdenticalCopies(transport: String) throws {
            defer { folder.remove() }
            let extra = ["--protocol", transport]
            let (server, client) = try TestHosts.withPair { pair in
                try PairRun.run(pair: pair, server: serverArguments(sample, count: 100, extra: extra),
                                client: clientArguments(sample, count: 100, extra: extra), workingDirectory: folder.path)
            }
            #expect(server.termination == .exited(0), "\(server.stderr)")
            #expect(client.termination == .exited(0), "\(client.stderr)")
            #expect(server.stdout.contains("Incorrect transfers: 0 of 100 (error rate 0.00%)"))
            #expect(server.stdout.contains("The datagrams of \"sample.txt\" for the 100th time: 47 expected, 47 received, 0 lost, 0 duplicated, 0 out of order"))
            #expect(try SeedLines.times(in: server.stdout, file: "sample.txt", count: 100, lines: SeedLines.serverTransferLines).get().count == 100)
            #expect(try storedCopies().count == 100)
        }
    }
}
