import FerryScenario
import Testing

@Suite struct YAMLDocumentTests {
    private func parse(_ text: String) throws -> YAMLNode {
        try YAMLDocument.parse(text, path: "t.yaml")
    }

    private func entries(_ node: YAMLNode) -> [YAMLEntry] {
        if case .mapping(let entries) = node.content { return entries }
        return []
    }

    @Test func nodesKeepOneBasedPositions() throws {
        let root = try parse("name: x\ntransfer:\n  port: 5001\n  sizes: [1, 2]\n")
        let top = entries(root)
        #expect(top.map(\.key) == ["name", "transfer"])
        #expect(top[0].keyMark == Mark(line: 1, column: 1))
        #expect(top[0].value.mark == Mark(line: 1, column: 7))
        let transfer = entries(top[1].value)
        #expect(transfer[0].keyMark == Mark(line: 3, column: 3))
        #expect(transfer[0].value.content == .scalar("5001", plain: true))
        guard case .sequence(let items) = transfer[1].value.content else { Issue.record("not a sequence"); return }
        #expect(items.map(\.mark) == [Mark(line: 4, column: 11), Mark(line: 4, column: 14)])
    }

    @Test func quotedScalarsAreNotPlain() throws {
        let top = entries(try parse("a: \"5\"\nb: 5\nc: |\n  text\n"))
        #expect(top[0].value.content == .scalar("5", plain: false))
        #expect(top[1].value.content == .scalar("5", plain: true))
        #expect(top[2].value.content == .scalar("text\n", plain: false))
    }

    @Test func aliasesAreResolved() throws {
        let top = entries(try parse("base: &b {port: 1, file: x}\ncopy: *b\nlist: [&s one, *s]\n"))
        #expect(top[1].value.content == top[0].value.content)
        guard case .sequence(let items) = top[2].value.content else { Issue.record("not a sequence"); return }
        #expect(items.map(\.scalar) == ["one", "one"])
    }

    @Test func mergeKeysAddMissingEntries() throws {
        let top = entries(try parse("base: &b {port: 1, file: x}\nthis:\n  <<: *b\n  port: 2\n"))
        let merged = entries(top[1].value)
        #expect(merged.map(\.key) == ["port", "file"])
        #expect(merged[0].value.scalar == "2")
    }

    @Test func duplicateKeysAreAnError() {
        let error = #expect(throws: SourceError.self) { try parse("transfer:\n  port: 1\n  port: 2\n") }
        #expect(error?.description == """
            t.yaml:3:3: duplicate key 'port' (first at line 2)
                  port: 2
                  ^
            """)
    }

    @Test func unknownAliasIsAnError() {
        let error = #expect(throws: SourceError.self) { try parse("a: *nowhere\n") }
        #expect(error?.headline == "t.yaml:1:4: unknown alias '*nowhere'")
    }

    @Test func syntaxErrorsCarryLibyamlsTextAndPosition() {
        let error = #expect(throws: SourceError.self) { try parse("transfer:\n  port: [1, 2\nname: x\n") }
        #expect(error?.headline == "t.yaml:3:5: did not find expected ',' or ']' while parsing a flow sequence")
        let tabs = #expect(throws: SourceError.self) { try parse("a:\n\tb: 1\n") }
        #expect(tabs?.headline == "t.yaml:2:1: found character that cannot start any token while scanning for the next token")
        #expect(tabs?.description.hasSuffix("\n     b: 1\n    ^") == true)
    }

    @Test func emptyDocumentIsAnEmptyMapping() throws {
        #expect(try parse("").content == .mapping([]))
        #expect(try parse("# only a comment\n").content == .mapping([]))
    }

    @Test func nestingDeeperThanTheLimitIsAnErrorNotACrash() {
        let flow = String(repeating: "[", count: 50_000)
        let sequences = #expect(throws: SourceError.self) { try parse("a: \(flow)\n") }
        #expect(sequences?.headline == "t.yaml:1:67: nested deeper than 64 levels")
        let mappings = String(repeating: "{a: ", count: 10_000) + "1" + String(repeating: "}", count: 10_000)
        let flowMappings = #expect(throws: SourceError.self) { try parse("description: \(mappings)\n") }
        #expect(flowMappings?.headline == "t.yaml:1:266: nested deeper than 64 levels")
        let block = (0..<10_000).map { String(repeating: " ", count: $0) + "a:" }.joined(separator: "\n") + " 1\n"
        let blocks = #expect(throws: SourceError.self) { try parse(block) }
        #expect(blocks?.headline == "t.yaml:65:65: nested deeper than 64 levels")
    }

    @Test func nestingUpToTheLimitIsRead() throws {
        let sixtyFour = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        var node = try parse(sixtyFour)
        var levels = 0
        while case .sequence(let items) = node.content {
            levels += 1
            guard let first = items.first else { break }
            node = first
        }
        #expect(levels == 64)
    }

    @Test func aliasesCountTheLevelsTheyBring() {
        // Each anchor is 40 levels deep and holds the previous one: no single mapping is deep,
        // but the tree the aliases build is.
        let deep = { (name: String, inner: String) in
            "&\(name) " + String(repeating: "[", count: 40) + inner + String(repeating: "]", count: 40)
        }
        let text = "a: \(deep("x", "1"))\nb: \(deep("y", "*x"))\n"
        let error = #expect(throws: SourceError.self) { try parse(text) }
        #expect(error?.headline == "t.yaml:2:47: nested deeper than 64 levels")
    }

    @Test func longSourceLinesAreCutToOneScreenLine() {
        let error = SourceError(
            path: "t.yaml", mark: Mark(line: 1, column: 500), message: "m", sourceLine: String(repeating: "x", count: 1000))
        let lines = error.description.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3)
        #expect(lines[1] == "    …" + String(repeating: "x", count: 100) + "…")
        #expect(lines[2] == "    " + String(repeating: " ", count: 51) + "^")
    }
}
