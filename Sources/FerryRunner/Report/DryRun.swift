import FerryCore
import FerryScenario

/// `runner --dry-run`: what each case would run, with nothing made or started.
///
/// ```
/// scenarios/default.yaml: tcp-100  (namespaces: server 10.99.0.2, client 10.99.0.1)
///   server: /…/server --ip 10.99.0.2 --port 5001 --standard /…/sample.txt --count 100 …
///   client: /…/client --server 10.99.0.2 --port 5001 --file /…/sample.txt --count 100 …
///   store:  runs/…/tcp-100/received
/// ```
enum DryRun {
    static func lines(_ runner: CaseRunner) throws -> [String] {
        let plan = try runner.plan()
        let scenario = runner.testCase.scenario
        let hosts = switch runner.mode {
        case .namespaces: "namespaces: server \(plan.serverIP), client \(plan.clientIP)"
        case .sameHost: "same_host: both on \(plan.serverIP) in one namespace"
        case .host where scenario.hosts.anyRemote: "over ssh: server \(scenario.hosts.server?.label ?? "this machine"), "
            + "client \(scenario.hosts.client?.label ?? "this machine"), server address \(plan.serverIP)"
        case .host: "host: this machine's own network, \(plan.serverIP)"
        }
        var lines = ["\(scenario.path): \(runner.testCase.name)\(runner.submission.map { " for \($0.name)" } ?? "")  (\(hosts))"]
        // A side on another machine runs there over ssh, with the paths it has there.
        let on = { (host: RemoteHost?) in host.map { " (on \($0.label))" } ?? "" }
        lines.append("  server\(on(scenario.hosts.server)): \(RunInfo.shellWords(plan.serverCommand))")
        if plan.serverFolder != runner.folder { lines.append("          in \(plan.serverFolder)") }
        lines.append("  client\(on(scenario.hosts.client)): \(RunInfo.shellWords(plan.clientCommand))")
        if plan.clientFolder != runner.folder { lines.append("          in \(plan.clientFolder)") }
        lines.append("  store:  \(plan.storeFolder)\(on(scenario.hosts.server))")
        return lines
    }
}
