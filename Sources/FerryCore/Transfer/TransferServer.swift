import Glibc

/// Receives `count` transfers, one connection each, storing and checking every copy.
public final class TransferServer {
    private let configuration: ServerConfiguration
    private let sink: LineSink

    public init(configuration: ServerConfiguration, sink: LineSink) {
        self.configuration = configuration
        self.sink = sink
    }

    /// Serves every transfer, prints the required lines and returns the results.
    /// - Throws: on a fatal error only (standard file missing, store not writable, port in use);
    ///   a bad transfer is counted, never thrown.
    public func run() throws -> ResultsFile {
        let standard = try StandardFile(path: configuration.standardPath)
        defer { standard.close() }
        let standardName = String(configuration.standardPath.split(separator: "/").last ?? "standard")
        // The port first: a server that cannot bind leaves no store folder behind.
        let socket = configuration.transport.isDatagram
            ? try DatagramReceiver.bind(configuration, sink: sink) : try StreamReceiver.listen(configuration)
        defer { socket.close() }
        let store = try CopyStore(directory: configuration.storeDirectory, standardName: standardName)
        defer { store.close() }
        try store.checkFree(count: configuration.count)

        let recorder = try ResultsRecorder(role: "server", path: configuration.jsonPath, keepRecords: configuration.keepRecords)
        defer { recorder.abandon() }
        let context = ReceiverContext(
            configuration: configuration, standard: standard, store: store, lines: ServerLines(sink: sink),
            fallbackName: standardName, recorder: recorder)
        let (lastName, refused) = configuration.transport.isDatagram
            ? try DatagramReceiver(context).run(on: socket)
            : try StreamReceiver(context).run(on: socket)
        let summary = recorder.summary
        sink.out(Messages.serverAverage.line(file: lastName, ms: Formatting.milliseconds(summary.timing.averageMs)))
        sink.out(Messages.serverIncorrect(summary.incorrect, of: summary.count))
        let results = try recorder.finish(file: lastName, refused: refused)
        sink.out(Messages.done.text)
        sink.flush()
        return results
    }
}

/// What every receiver needs: the configuration, the standard file, the store and the printer.
struct ReceiverContext {
    let configuration: ServerConfiguration
    let standard: StandardFile
    let store: CopyStore
    let lines: ServerLines
    /// The name printed when no valid name was announced: the standard file's.
    let fallbackName: String
    /// Where each transfer's record goes.
    let recorder: ResultsRecorder
    var sink: LineSink { lines.sink }
}
