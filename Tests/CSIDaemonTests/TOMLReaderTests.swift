import Testing
@testable import CSIDaemon

/// csihard.toml read with TOMLKit: every value kind, comments, tables, multi-line arrays, TOML 1.0 forms the old
/// hand-written subset refused (inline tables, dotted keys, multi-line strings, dates), and errors with line numbers.
@Suite struct TOMLReaderTests {
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
        let entries = try TOMLReader.parse(text)
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
        #expect(entries.map(\.line) == entries.map(\.line).sorted(), "entries in file order")
        #expect(entries.first?.key == "top" && entries.first?.line == 2)
    }

    /// What TOML 1.0 has beyond the old subset: inline tables, dotted keys, multi-line strings, dates.
    @Test func tomlOneZeroForms() throws {
        let text = """
            smoother = { fall_label = "fall", idle_label = "empty" }
            socket.group = "csihar"
            [daemon]
            log_level = \"\"\"
            info\"\"\"
            [model]
            path = '''m.safetensors'''
            when = 1979-05-27
            at = 07:32:00
            stamp = 1979-05-27T07:32:00Z
            note = "1980-05-27Tq is only text here"
            spaced = 1979-05-27 07:32:00
            comment = 1 # a line separator \u{2028} in a comment is fine
            text = "and in a string \u{2028}"
            day = 1979-05-27 # 1
            [pipeline]
            hop_seconds = 0.5
            """
        let entries = try TOMLReader.parse(text)
        let byKey = Dictionary(uniqueKeysWithValues: entries.map { ($0.key, $0) })
        #expect(byKey["smoother.fall_label"]?.value == .string("fall") && byKey["smoother.fall_label"]?.line == 1)
        #expect(byKey["smoother.idle_label"]?.line == 1, "keys of an inline table are on its line")
        #expect(byKey["socket.group"]?.value == .string("csihar") && byKey["socket.group"]?.line == 2)
        #expect(byKey["daemon.log_level"]?.value == .string("info") && byKey["daemon.log_level"]?.line == 4)
        #expect(byKey["model.path"]?.value == .string("m.safetensors") && byKey["model.path"]?.line == 7,
                "lines count the lines of a multi-line string")
        #expect(byKey["model.when"]?.value.typeName == "date" && byKey["model.when"]?.line == 8)
        #expect(byKey["model.at"]?.value.typeName == "time")
        #expect(byKey["model.stamp"]?.value.typeName == "date-time")
        #expect(byKey["model.spaced"]?.value.typeName == "date-time", "a space may stand for the T")
        #expect(byKey["model.day"]?.value.typeName == "date")
        #expect(byKey["model.text"]?.value == .string("and in a string \u{2028}"))
        #expect(byKey["pipeline.hop_seconds"]?.line == 17)
    }

    @Test(arguments: [
        ("a = 1\nb = \n", 2, "expected value"),
        ("a = \"open\n", 1, "string"),
        ("a = 1\na = 2\n", 2, "redefine"),
        ("[t]\n[t]\n", 2, "redefine"),
        ("[[t]\n", 1, "table"),
        ("a = 1 2\n", 1, "expected a comment or whitespace"),
        ("a = 012\n", 1, "leading zero"),
        ("a = [1, 2\n", 1, "array"),  // toml++: the line the array opens on
        ("= 3\n", 1, "key"),
        ("a = \"\\q\"\n", 1, "unknown escape"),
        ("a = 99999999999999999999\n", 1, "not representable in 64 bits"),
        ("a = 1\n\nb = \"x\u{0}\"\n", 3, "NUL"),
        // toml++ (TOMLKit 0.6.0) aborts the process on these instead of reporting them (found by `make fuzz`)
        ("a = 1\n[@x]\n", 2, "table header: expected a table name (a bare key or a quoted string), saw '@'"),
        ("[[@route]]   # comment\nchains = 1\n", 1, "saw '@'"),
        ("a = [\n  [1, 2],\n]\n[ \u{e9}t\u{e9}]\n", 4, "saw '\u{e9}'"),
        ("[\nx = 1\n", 1, "saw the end of the line"),
        ("[  # no name\n", 1, "saw '#'"),
        ("a = 1\n[[[model]]]\n", 2, "saw '['"),
        ("[[ [t]]]\n", 1, "saw '['"),
        ("[[a]]\n[[[\n", 2, "saw '['"),
        ("[daemon]\nwhen = 1980-05-27Tq07:32:00Z\n", 2, "date-time: expected an hour after 'T', saw 'q'"),
        ("a = [1979-05-27T07:32:00Z,\n  1980-05-27t]\n", 2, "saw ']'"),
        ("[daemon]\nwhen = 1979-05-27 1\n", 2,
         "date-time: expected a date and a 2-digit hour, saw '1979-05-27 1' then the end of the line"),
        ("smoother = { fall_label = \"fa]ll\", idle_label =  1979-05-27 1\n", 1, "saw '1979-05-27 1' then the end"),
        ("a = [1979-05-27 07:32:00,\n 1979-05-27 1,2]\n", 2, "saw '1979-05-27 1' then ','"),
        ("a = { b = 1979-05-27 1 }\n", 1, "then ' '"),
        ("a = 1979-05-27 1#c\n", 1, "then '#'"),
        ("[model]\nwhen = 1979-05-2= 1\n", 2, "saw '1979-05-2= 1' then the end of the line"),
        ("a = 1979-05-2x 1\n", 1, "saw '1979-05-2x 1'"),
        ("a = 1979-05-2_7 1\n", 1, "saw '1979-05-2_7 1'"),
        ("a = 1979-05-2\u{e9} 1\n", 1, "saw '1979-05-2\u{e9} 1'"),
        ("a = 1" + String(repeating: "_", count: 115) + "979-05-27 12:00:00\n", 1, "expected a date and a 2-digit hour"),
        ("a = [1,\n\u{2028} 2]\n", 2, "syntax error: U+2028 (line separator) outside a string or comment"),
        ("a = [\u{2029},1]\n", 1, "U+2029 (paragraph separator)"),
        ("[t]\nx = [\u{85}]\n", 2, "U+0085 (next line)"),
        ("a = { b = [\u{2028}] }\n", 1, "U+2028"),
        (String(repeating: "a.", count: 8000) + "b = 1\n", 1, "key more than 64 parts deep"),
        ("[" + (0..<20_000).map { "k\($0)" }.joined(separator: ".") + "]\n", 1, "key more than 64 parts deep"),
        ("a = { " + String(repeating: "b.", count: 8000) + "c = 1 }\n", 1, "key more than 64 parts deep"),
        ("[" + String(repeating: "t.", count: 40) + "t]\n" + String(repeating: "k.", count: 30) + "k = 1\n", 2, "parts deep"),
        ("a = [1,}]\n", 1, "syntax error in array: expected a value or closing ']', saw '}'"),
        ("route = [{ model = \"a\" },}]\n", 1, "saw '}'"),
        ("a = 1\nb = [ # c\n}\n", 3, "saw '}'"),
        ("a = { b = [ } ] }\n", 1, "saw '}'"),
        ("a = [[}]]\n", 1, "saw '}'"),
    ])
    func syntaxErrorsNameTheLine(text: String, line: Int, reason: String) {
        do {
            _ = try TOMLReader.parse(text)
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.line == line, "\(text.debugDescription): \(error)")
            #expect(error.reason.contains(reason), "\(text.debugDescription): \(error)")
            #expect(!error.reason.contains("\n"), "one line: \(error)")
        }
    }

    @Test func arraysOfTablesAreNumberedFromOne() throws {
        let document = try TOMLReader.parseDocument("[[route]]\nmodel = \"a\"\n[[route]]\n[[route]]\nchains = 1\n[x]\ny = 2\n")
        #expect(document.entries.map(\.key) == ["route[1].model", "route[3].chains", "x.y"])
        #expect(document.entries.map(\.line) == [2, 5, 7])
        #expect(document.arrayTables.map { "\($0.name)[\($0.index)]@\($0.line)" } == ["route[1]@1", "route[2]@3", "route[3]@4"])
    }

    @Test func arrayOfInlineTablesIsAnArrayOfTables() throws {
        let document = try TOMLReader.parseDocument("x = 1\nroute = [\n  { model = \"a\" },\n  { model = \"b\", chains = 2 },\n]\n")
        #expect(document.entries.map(\.key) == ["x", "route[1].model", "route[2].chains", "route[2].model"])
        #expect(document.arrayTables.map { "\($0.name)[\($0.index)]@\($0.line)" } == ["route[1]@2", "route[2]@2"],
                "tables written inline take the line of their key")
    }

    @Test func anArrayOfValuesCannotHoldATable() {
        do {
            _ = try TOMLReader.parse("[socket]\nallow_users = [0, { name = \"root\" }]\n")
            Issue.record("accepted a table inside an array of values")
        } catch {
            #expect(error.line == 2 && error.key == "socket.allow_users" && error.reason.contains("cannot hold a table"), "\(error)")
        }
    }

    /// The line index skips what may hide a `key =` or a bracket: strings with brackets and quotes, multi-line
    /// strings, comments, arrays over several lines; keys under nested arrays of tables resolve to their table.
    @Test func lineIndexSkipsValues() {
        let text = """
            [a]
            s = "] [ \\" = ["
            t = '''
            fake = 1
            [fake]
            '''
            u = [ "]", # ] comment
              '[', { k = 1 } ]
            v = 1
            [[f]]
            [f.p]
            q = 1
            [[f]]
            [[f.v]]
            w = 2
            """
        let index = TOMLLineIndex(text)
        #expect(index.line(of: "a.s") == 2 && index.line(of: "a.t") == 3 && index.line(of: "a.u") == 7)
        #expect(index.line(of: "a.v") == 9, "multi-line string and array skipped")
        #expect(index.line(of: "fake") == 0 && index.line(of: "a.fake") == 1, "keys inside a string are not indexed (a.fake: its table's line)")
        #expect(index.line(of: "a.u.k") == 7, "an inline table's key takes the line of its parent")
        #expect(index.line(of: "f[1].p.q") == 12 && index.line(of: "f[2]") == 13 && index.line(of: "f[2].v[1].w") == 15)
        #expect(index.malformedHeader == nil, "brackets inside values and strings are not headers")
    }

    /// Regression (fuzzing, `make fuzz`): the old parser recursed once per `[`, so a config of a few hundred thousand
    /// `[` overflowed the stack. toml++ caps nesting (256 levels), and the conversion recurses no deeper.
    @Test func deeplyNestedArraysAreAnErrorNotAStackOverflow() throws {
        let deep = "a = " + String(repeating: "[", count: 200_000) + "\n"
        do {
            _ = try TOMLReader.parse(deep)
            Issue.record("accepted 200000 nested arrays")
        } catch {
            #expect(error.line == 1 && error.reason.contains("nested"), "\(error)")
        }
        let levels = 200
        let deepest = try TOMLReader.parse("a = " + String(repeating: "[", count: levels) + String(repeating: "]", count: levels))
        var value = deepest.first?.value
        var found = 0
        while case .array(let inner)? = value { found += 1; value = inner.first }
        #expect(found == levels, "\(levels) levels still parse")
    }
}
