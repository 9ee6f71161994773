import FerryCore
import FerryRunner
import FerryTestSupport
import Foundation
import Testing

/// `make dist`'s server and client run where Swift is not installed: a fresh root folder holding
/// only the two binaries and the system libraries `ldd` names (libc, libm, libstdc++, libgcc_s,
/// the loader), entered with chroot in mount, PID and network namespaces of their own (so /proc
/// can be mounted there, and the transfer stays on that namespace's loopback).
@Suite(.enabled(if: DistBinaries.unavailableReason == nil, Comment(rawValue: DistBinaries.skipComment)))
struct DistBinariesTests {
    @Test func theyRunInARootWithoutSwift() throws {
        try DistBinaries.runInARootWithoutSwift()
    }
}

/// What `DistBinariesTests` needs and does.
enum DistBinaries {
    static let dist = "\(repositoryRoot())/.build/dist"

    static var unavailableReason: String? {
        if getuid() != 0 { return "chroot and namespaces need root" }
        for name in ["server", "client"] where !FileManager.default.isExecutableFile(atPath: "\(dist)/\(name)") {
            return "\(dist)/\(name) is missing: run make dist (make test does)"
        }
        for tool in ["ldd", "unshare", "chroot"] where ChildProcess.locate(tool) == nil { return "\(tool) is not installed" }
        return nil
    }

    static var skipComment: String { "needs make dist's binaries: \(unavailableReason ?? "")" }

    static func runInARootWithoutSwift() throws {
        let root = try TemporaryDirectory("ferry-dist-root")
        defer { root.remove() }
        for name in ["server", "client"] {
            try FileManager.default.copyItem(atPath: "\(dist)/\(name)", toPath: root.file(name))
        }
        let linked = try Tool.run(["ldd", root.file("server"), root.file("client")])
        let libraries = Set(linked.split(separator: "\n").compactMap { line in
            line.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("/") && !$0.hasSuffix(":") }.map(String.init)
        })
        #expect(!libraries.isEmpty)
        for library in libraries {
            let target = root.file(String(library.dropFirst()))
            try FileManager.default.createDirectory(
                atPath: URL(fileURLWithPath: target).deletingLastPathComponent().path, withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                atPath: URL(fileURLWithPath: library).resolvingSymlinksInPath().path, toPath: target)
        }
        // Nothing of Swift's but what is inside the binaries.
        let everything = FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []
        #expect(!everything.contains { $0.lowercased().contains("swift") || $0.contains("Foundation") }, "\(everything)")
        _ = try root.write("f.txt", bytes: Array("a file to send\n".utf8))
        try FileManager.default.createDirectory(atPath: root.file("store"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root.file("proc"), withIntermediateDirectories: true)

        let script = """
            ip link set lo up
            chroot \(root.path) /server --ip 127.0.0.1 --allow-loopback --port 5399 --standard /f.txt --count 3 --store /store > \(root.file("server.log")) 2>&1 &
            chroot \(root.path) /client --server 127.0.0.1 --allow-loopback --port 5399 --file /f.txt --count 3 > \(root.file("client.log")) 2>&1
            client=$?
            wait $!
            server=$?
            echo "client $client server $server"
            """
        let output = try Tool.run(
            ["unshare", "--mount", "--pid", "--fork", "--net", "--mount-proc=\(root.file("proc"))", "sh", "-c", script], timeout: 60)
        let clientLog = (try? String(contentsOfFile: root.file("client.log"), encoding: .utf8)) ?? ""
        #expect(output.contains("client 0 server 0"), "\(output) \(clientLog)")
        #expect(clientLog.hasSuffix("I am done\n"), "\(clientLog)")
        let copies = try FileManager.default.contentsOfDirectory(atPath: root.file("store")).sorted()
        #expect(copies == ["f.1.txt", "f.2.txt", "f.3.txt"])
        for copy in copies {
            #expect(FileManager.default.contents(atPath: root.file("store/\(copy)")) == Data("a file to send\n".utf8))
        }
    }
}
