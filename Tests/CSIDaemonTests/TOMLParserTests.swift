import Testing
@testable import CSIDaemon

/// The TOML subset: every value kind, comments, tables, multi-line arrays, and errors with line numbers.
@Suite struct TOMLParserTests {
    @Test func valuesTablesAndComments() throws {
        let text = """
            # comment
            top = "a \\"quoted\\" \\u00e9 string"   # trailing comment
            [socket]
            mode = 0o660
            group = 'literal \\ no escapes'
            [pipeline . nested]
            hop = 0.25
            big = 1_000
            hex = 0xff
            on = true
            exp = -1.5e-3
            list = [
              "pcap:wlan0",   # a comment inside
              'netlink',
            ]
            nested = [[1, 2], []]
            "quoted key" = false
            """
        let entries = try TOMLParser.parse(text)
        let byKey = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0.value) })
        #expect(byKey["top"] == .string("a \"quoted\" é string"))
        #expect(byKey["socket.mode"] == .integer(0o660))
        #expect(byKey["socket.group"] == .string("literal \\ no escapes"))
        #expect(byKey["pipeline.nested.hop"] == .float(0.25))
        #expect(byKey["pipeline.nested.big"] == .integer(1000))
        #expect(byKey["pipeline.nested.hex"] == .integer(255))
        #expect(byKey["pipeline.nested.on"] == .boolean(true))
        #expect(byKey["pipeline.nested.exp"] == .float(-0.0015))
        #expect(byKey["pipeline.nested.list"] == .array([.string("pcap:wlan0"), .string("netlink")]))
        #expect(byKey["pipeline.nested.nested"] == .array([.array([.integer(1), .integer(2)]), .array([])]))
        #expect(byKey["pipeline.nested.quoted key"] == .boolean(false))
        #expect(entries.first { $0.key == "pipeline.nested.nested" }?.line == 16, "line numbers count multi-line arrays")
    }

    @Test(arguments: [
        ("a = 1\nb = \n", 2, "is not a string"),
        ("a = \"open\n", 1, "unterminated string"),
        ("a = 1\na = 2\n", 2, "defined twice"),
        ("[t]\n[t]\n", 2, "defined twice"),
        ("a = {x = 1}\n", 1, "inline tables"),
        ("[[t]\n", 1, "']]'"),
        ("a = 1 2\n", 1, "after the value"),
        ("a = 012\n", 1, "is not a string"),
        ("a = [1, 2\n", 2, "expected ',' or ']'"),
        ("= 3\n", 1, "expected a key"),
        ("a = \"\\q\"\n", 1, "unknown escape"),
    ])
    func syntaxErrorsNameTheLine(text: String, line: Int, reason: String) {
        do {
            _ = try TOMLParser.parse(text)
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.line == line, "\(text.debugDescription): \(error)")
            #expect(error.reason.contains(reason), "\(text.debugDescription): \(error)")
        }
    }

    @Test func arraysOfTablesAreNumberedFromOne() throws {
        let document = try TOMLParser.parseDocument("[[route]]\nmodel = \"a\"\n[[route]]\n[[route]]\nchains = 1\n[x]\ny = 2\n")
        #expect(document.entries.map(\.key) == ["route[1].model", "route[3].chains", "x.y"])
        #expect(document.arrayTables.map { "\($0.name)[\($0.index)]@\($0.line)" } == ["route[1]@1", "route[2]@3", "route[3]@4"])
    }

    /// Regression (fuzzing, `make fuzz`): the parser recursed once per `[`, so a config of a few hundred thousand
    /// `[` overflowed the stack and killed csihard at startup or on SIGHUP. Nesting is now capped.
    @Test func deeplyNestedArraysAreAnErrorNotAStackOverflow() throws {
        let deep = "a = " + String(repeating: "[", count: 200_000) + "\n"
        do {
            _ = try TOMLParser.parse(deep)
            Issue.record("accepted 200000 nested arrays")
        } catch {
            #expect(error.line == 1 && error.reason.contains("nested deeper than \(TOMLParser.maximumArrayNesting)"), "\(error)")
        }
        let limit = TOMLParser.maximumArrayNesting
        let deepest = try TOMLParser.parse("a = " + String(repeating: "[", count: limit) + String(repeating: "]", count: limit))
        var value = deepest.first?.value
        var levels = 0
        while case .array(let inner)? = value { levels += 1; value = inner.first }
        #expect(levels == limit, "\(limit) levels still parse")
    }
}
