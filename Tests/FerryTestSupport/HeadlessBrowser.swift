import FerryCore
import FerryRunner
import Foundation

/// Debian's `chromium`, headless, for tests that check what a person would see. It runs in a
/// network namespace of its own with only loopback (`unshare --net`), so whatever it would
/// fetch by itself (updates, safe browsing) goes nowhere; it reads the page from a file.
public enum HeadlessBrowser {
    /// The browser, if installed.
    public static let path: String? = ChildProcess.locate("chromium") ?? ChildProcess.locate("chromium-browser")

    /// Why the browser tests cannot run here, or nil when they can.
    public static var unavailableReason: String? {
        if path == nil { return "chromium is not installed (make test-deps installs it)" }
        if ChildProcess.locate("unshare") == nil { return "unshare (util-linux) is not installed" }
        if getuid() != 0 { return "chromium is run in a network namespace of its own, which needs root" }
        return nil
    }

    /// True when CI asked for the browser tests to run: then a missing browser fails them.
    public static var required: Bool { ProcessInfo.processInfo.environment["FERRY_REQUIRE_BROWSER"] == "1" }

    public static var skipComment: String { "needs headless chromium: \(unavailableReason ?? "")" }

    private static func run(_ options: [String], page: String, profile: TemporaryDirectory) throws -> (Termination, String) {
        let arguments = [ChildProcess.locate("unshare") ?? "unshare", "--net", "--", path ?? "chromium", "--headless", "--no-sandbox", "--disable-gpu",
                         "--hide-scrollbars", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                         "--user-data-dir=\(profile.path)"] + options + [URL(fileURLWithPath: page).absoluteString]
        let child = try ChildProcess(arguments: arguments)
        let status = child.wait(until: Date().addingTimeInterval(60)) ?? child.stop()
        let out = child.output.snapshot.filter { $0.stream == .stdout }.map(\.text).joined(separator: "\n")
        return (status, out)
    }

    /// The page's DOM as the browser built it (`--dump-dom`).
    public static func dom(of page: String) throws -> String {
        let profile = try TemporaryDirectory("ferry-chromium")
        defer { profile.remove() }
        let (status, dom) = try run(["--dump-dom"], page: page, profile: profile)
        guard status == .exited(0) else { throw FerryError("chromium --dump-dom \(page): \(status)") }
        return dom
    }

    /// Renders the page into a PNG at `output`, `width` × `height` CSS pixels.
    public static func screenshot(of page: String, to output: String, width: Int = 1100, height: Int = 1400) throws {
        let profile = try TemporaryDirectory("ferry-chromium")
        defer { profile.remove() }
        try? FileManager.default.removeItem(atPath: output)
        let (status, _) = try run(["--window-size=\(width),\(height)", "--screenshot=\(output)"], page: page, profile: profile)
        guard status == .exited(0), FileManager.default.fileExists(atPath: output) else {
            throw FerryError("chromium --screenshot \(page): \(status), no \(output)")
        }
    }
}
