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
}
