import Foundation
import Testing
@testable import CSIDaemon

/// csihard.toml: the shipped example documents every key with its default; bad values name file, line and key.
@Suite struct DaemonConfigFileTests {
    /// `systemd/csihard.toml` in this checkout.
    static let examplePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../systemd/csihard.toml").standardized.path

    @Test func shippedExampleListsEveryKeyWithItsDefault() throws {
        var settings = try DaemonConfigFile.load(path: Self.examplePath)
        // It leaves the keys a model may declare commented out, so that installing it does not mask a model's values.
        #expect(settings.pipeline.configuredSmootherKeys.isDisjoint(with: ModelSmootherDefaults.keys),
                "systemd/csihard.toml sets \(settings.pipeline.configuredSmootherKeys.intersection(ModelSmootherDefaults.keys))")
        settings.pipeline.configuredSmootherKeys = []
        #expect(settings == DaemonSettings(), "the example's values are the built-in defaults")
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        let documented = try Set(TOMLReader.parse(text).map {
            $0.key.replacingOccurrences(of: #"\[[0-9]+\]"#, with: "[N]", options: .regularExpression)
        })
        // model.path is documented as a comment (its default is "the bundled model if present").
        let missing = DaemonConfigFile.knownKeys.filter { !documented.contains($0) && !text.contains("#   \($0.split(separator: ".").last!) =") && !text.contains("# \($0.split(separator: ".").last!) =") }
        #expect(missing.isEmpty, "keys missing from systemd/csihard.toml: \(missing)")
    }

    /// man/csihard.toml.5 has a `.TP` / `.B key` entry for every accepted key under its table's `.SS [table]`
    /// (or `.SS [[route]]`, `.SS [[group]]`) heading.
    @Test func manPageDocumentsEveryKey() throws {
        let page = URL(fileURLWithPath: Self.examplePath).deletingLastPathComponent()
            .appendingPathComponent("../man/csihard.toml.5").standardized.path
        let lines = try String(contentsOfFile: page, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        var documented = Set<String>()
        var table: String?
        for (index, line) in lines.enumerated() {
            if line.hasPrefix(".SS ") {
                let heading = line.dropFirst(4).trimmingCharacters(in: .whitespaces)
                table = heading.hasPrefix("[") ? heading.trimmingCharacters(in: CharacterSet(charactersIn: "[]")) : nil
            } else if line == ".TP", let table, index + 1 < lines.count, lines[index + 1].hasPrefix(".B ") {
                let key = lines[index + 1].dropFirst(3).trimmingCharacters(in: .whitespaces)
                documented.insert(["route", "group"].contains(table) ? "\(table)[N].\(key)" : "\(table).\(key)")
            }
        }
        let missing = DaemonConfigFile.knownKeys.filter { !documented.contains($0) }
        #expect(missing.isEmpty, "keys missing from man/csihard.toml.5: \(missing)")
        #expect(documented.contains("smoother.fall_confirm_seconds") && documented.contains("route[N].model"))
    }

    @Test func emptyFileGivesTheDefaults() throws {
        #expect(try DaemonConfigFile.parse("", path: "empty.toml") == DaemonSettings())
    }

    @Test func valuesAreApplied() throws {
        let settings = try DaemonConfigFile.parse("""
            [sources]
            inputs = ["pcap:wlan0", "replay:/tmp/x.dat", "netlink"]
            speed = "max"
            [socket]
            mode = "0640"
            group = "csihar"
            queue_lines = 32
            [pipeline]
            hop_seconds = 0.5
            max_batch = 8
            [smoother]
            fall_cooldown_seconds = 30
            fall_confirm_seconds = 3.5
            fall_recovery_labels = ["walk"]
            idle_label = "empty"
            [model]
            path = "m.safetensors"
            """, path: "x.toml")
        #expect(settings.sources == [.pcap(interface: "wlan0"), .replay(path: "/tmp/x.dat"), .netlink])
        #expect(settings.speed == 0)
        #expect(settings.socketMode == 0o640 && settings.socketGroup == "csihar" && settings.subscriberQueue == 32)
        #expect(settings.pipeline.hopSeconds == 0.5 && settings.pipeline.maxBatch == 8)
        #expect(settings.pipeline.smoother.fallCooldownSeconds == 30 && settings.pipeline.smoother.idleLabel == "empty")
        #expect(settings.pipeline.smoother.fallConfirmSeconds == 3.5 && settings.pipeline.smoother.recoveryLabels == ["walk"])
        #expect(settings.modelPath == "m.safetensors")
    }

    @Test(arguments: [
        ("[pipeline]\nhop_seconds = -1\n", "bad.toml:2: pipeline.hop_seconds: must be > 0"),
        ("[pipeline]\nhop_seconds = \"fast\"\n", "bad.toml:2: pipeline.hop_seconds: must be a number, not a string"),
        ("\n[socket]\nqueue_lines = 0\n", "bad.toml:3: socket.queue_lines: must be within 1...1000000"),
        ("[socket]\nmode = \"rw\"\n", "bad.toml:2: socket.mode: 'rw' is not an octal mode"),
        ("[sources]\ninputs = [\"usb:0\"]\n", "bad.toml:2: sources.inputs: bad source \"usb:0\""),
        ("[sources]\nspeed = 0\n", "bad.toml:2: sources.speed: must be a number > 0 or \"max\""),
        ("[daemon]\nlog_level = \"loud\"\n", "bad.toml:2: daemon.log_level: 'loud' is not one of"),
        ("[smoother]\nenter_confidence = 0.3\nexit_confidence = 0.5\n", "bad.toml:3: smoother.exit_confidence: must be <= enter_confidence"),
        ("[pipeline]\nhop = 1\n", "bad.toml:2: pipeline.hop: unknown key"),
        ("[smoother]\nfall_confirm_seconds = -1\n", "bad.toml:2: smoother.fall_confirm_seconds: must be >= 0"),
        ("[smoother]\nfall_recovery_labels = [\"walk\", \"fall\"]\n",
         "bad.toml:2: smoother.fall_recovery_labels: must not contain the fall label 'fall'"),
        ("[smoother]\nfall_recovery_labels = \"walk\"\n", "bad.toml:2: smoother.fall_recovery_labels: must be an array of strings"),
        ("[pipeline\n", "bad.toml:1: syntax error in table header: expected ']'"),
    ])
    func badValuesNameFileLineAndKey(text: String, message: String) {
        expectConfigRejected(text, message)
    }

    /// TOML 1.0 forms TOMLKit reads and the old subset refused: inline tables, top-level dotted keys, multi-line
    /// arrays and strings, arrays of inline tables for [[route]].
    @Test func tomlOneZeroFormsAreApplied() throws {
        let settings = try DaemonConfigFile.parse("""
            smoother = { fall_cooldown_seconds = 30, idle_label = "empty" }
            pipeline.hop_seconds = 0.5
            [sources]
            inputs = [
              "pcap:wlan0",  # the first card
              "netlink",
            ]
            [socket]
            group = \"\"\"
            csihar\"\"\"
            """, path: "x.toml")
        #expect(settings.pipeline.smoother.fallCooldownSeconds == 30 && settings.pipeline.smoother.idleLabel == "empty")
        #expect(settings.pipeline.hopSeconds == 0.5)
        #expect(settings.sources == [.pcap(interface: "wlan0"), .netlink])
        #expect(settings.socketGroup == "csihar")
        let routed = try DaemonConfigFile.parse("route = [{ model = \"a.safetensors\" }, { model = \"b.safetensors\", chains = 2 }]\n",
                                                path: "x.toml")
        #expect(routed.routes.map(\.model) == ["a.safetensors", "b.safetensors"] && routed.routes.map(\.chains) == [nil, 2])
    }

    @Test(arguments: [
        // Unknown keys: the nearest known key is suggested (a typo, the right key in another table, a missing suffix).
        ("[smoother]\nfall_confidense = 0.5\n",
         "bad.toml:2: smoother.fall_confidense: unknown key; did you mean smoother.fall_confidence?"),
        ("[pipeline]\nfall_confidence = 0.5\n", "bad.toml:2: pipeline.fall_confidence: unknown key; did you mean smoother.fall_confidence?"),
        ("[pipeline]\nhop = 1\n", "bad.toml:2: pipeline.hop: unknown key; did you mean pipeline.hop_seconds?"),
        ("[socket]\nmdoe = \"0640\"\n", "bad.toml:2: socket.mdoe: unknown key; did you mean socket.mode?"),
        ("[mqtt]\nport = 1883\n", "bad.toml:2: mqtt.port: unknown key ([mqtt] has ca_file, cert_file,"),
        ("[daemons]\nfoo = 1\n", "bad.toml:2: daemons.foo: unknown key (known tables: [daemon],"),
        ("[[route]]\nmodle = \"a\"\n", "bad.toml:2: route[1].modle: unknown key; did you mean route[1].model?"),
        ("[[group]]\nsource = [\"a\"]\n", "bad.toml:2: group[1].source: unknown key; did you mean group[1].sources?"),
        // Inline tables and dotted keys name the key and its line.
        ("[daemon]\nheartbeat_seconds = 1\nsmoother = { exit_secondz = 1 }\n",
         "bad.toml:3: daemon.smoother.exit_secondz: unknown key"),
        ("\nsmoother.fall_confirm_seconds = -1\n", "bad.toml:2: smoother.fall_confirm_seconds: must be >= 0"),
        ("[[route]]\nmodel = \"a\"\n[[route]]\nmodel = \"b\"\ndevice = \"wifi7\"\n", "bad.toml:5: route[2].device: 'wifi7' is not a device"),
        // Dates and times are TOML values no key takes.
        ("[model]\npath = 1979-05-27\n", "bad.toml:2: model.path: must be a string, not a date"),
        ("[pipeline]\nhop_seconds = 07:32:00\n", "bad.toml:2: pipeline.hop_seconds: must be a number, not a time"),
        ("[socket]\nallow_users = [0, { name = \"root\" }]\n", "bad.toml:2: socket.allow_users: an array of values cannot hold a table"),
        // Syntax errors: TOMLKit's reason, on one line, at its line.
        ("[socket]\nmode = 0o660\ngroup = \"a\" \"b\"\n", "bad.toml:3: syntax error in key-value pair: expected a comment or whitespace"),
        ("[pipeline]\nhop_seconds = 0.5\nhop_seconds = 1\n", "bad.toml:3: syntax error in key-value pair: cannot redefine existing"),
        ("[sources]\ninputs = [\n  \"netlink\",\n  \"pcap:wlan0\"\n  \"pcap:wlan1\"]\n", "bad.toml:5: syntax error in array"),
    ])
    func tomlKitErrorsNameFileLineAndKey(text: String, message: String) {
        expectConfigRejected(text, message)
    }

    @Test func nearestKeySuggestions() {
        #expect(DaemonConfigFile.editDistance("fall_confidense", "fall_confidence") == 1)
        #expect(DaemonConfigFile.editDistance("mdoe", "mode") == 1, "a swap of neighbours is one edit")
        #expect(DaemonConfigFile.editDistance("", "abc") == 3 && DaemonConfigFile.editDistance("abc", "abc") == 0)
        #expect(DaemonConfigFile.nearestKey(to: "socket.path", among: ["socket.path", "state.directory"]) == "socket.path")
        #expect(DaemonConfigFile.nearestKey(to: "totally.else", among: ["socket.path", "state.directory"]) == nil)
    }

    @Test func missingFileIsAClearError() {
        #expect(throws: ConfigError.self) { try DaemonConfigFile.load(path: "/nonexistent/csihard.toml") }
    }
}
