import ArgumentParser
import FerryCore
import Glibc

/// The `main` of every Ferry executable: parse, run, and turn any failure into one line on
/// stderr (`server: bind 10.99.0.2:5001: Address already in use`) and a non-zero exit status.
public enum CommandLineEntry {
    /// Exit status for a failure while running.
    public static let failureStatus: Int32 = 1

    /// - Parameter ignoreBrokenPipes: ignore SIGPIPE (the transfer programs); the runner leaves it
    ///   alone, since children inherit an ignored signal across exec.
    public static func main<Command: ParsableCommand>(_ type: Command.Type, ignoreBrokenPipes: Bool = true) {
        if ignoreBrokenPipes {
            ProcessSetup.ignoreBrokenPipes()
            ProcessSetup.flushOutputOnTermination()
        }
        let name = type.configuration.commandName ?? "ferry"
        do {
            var command = try type.parseAsRoot()
            try command.run()
            StandardStreams().flush()
        } catch let error as ExitCode {
            exit(error.rawValue)
        } catch let error as FerryError {
            fail(name, error.description, status: failureStatus)
        } catch let error as SystemError {
            fail(name, error.description, status: failureStatus)
        } catch {
            let status = type.exitCode(for: error)
            if status == .success {
                print(type.fullMessage(for: error))
                exit(0)
            }
            var message = type.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            if message.hasPrefix("Error: ") { message.removeFirst("Error: ".count) }
            fail(name, "\(message) (see '\(name) --help')", status: status.rawValue)
        }
    }

    private static func fail(_ name: String, _ message: String, status: Int32) -> Never {
        StandardStreams().diagnostic("\(name): \(message)")  // writes out held stdout lines first
        exit(status)
    }
}
