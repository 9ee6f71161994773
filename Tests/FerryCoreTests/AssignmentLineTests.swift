import FerryCore
import Testing

@Suite struct AssignmentLineTests {
    @Test func printsAndYieldsItsTemplateFromOneDefinition() {
        let line = Messages.serverTime
        #expect(line.line(file: "a.txt", n: 22, ms: "0.412") == "The time used in millisecond to receive \"a.txt\" for 22nd time is: 0.412")
        #expect(line.template == "The time used in millisecond to receive \"{file}\" for {nth} time is: {ms}")
        #expect(Messages.clientConnecting.template == "I am connecting to server side: {server_ip}")
        #expect(Messages.done.text == "I am done" && Messages.done.template == "I am done")
        let braces: AssignmentLine = "a {b} \(.nth)"
        #expect(braces.template == "a {{b}} {nth}")
    }

    @Test func readsBackExactlyPrintedLinesOnly() {
        let printed = Messages.clientTime.line(file: "x y.bin", n: 3, ms: "1.250")
        #expect(Messages.clientTime.values(in: printed) == AssignmentLine.Values(file: "x y.bin", n: 3, ms: 1.25))
        #expect(Messages.clientTime.values(in: printed + " ") == nil)
        #expect(Messages.clientTime.values(in: printed.replacingOccurrences(of: "3rd", with: "3th")) == nil)
        #expect(Messages.serverTime.values(in: printed) == nil)
        #expect(Messages.clientConnecting.values(in: "I am connecting to server side: 10.99.0.2")?.host == "10.99.0.2")
    }
}
