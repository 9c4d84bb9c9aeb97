import Foundation
import Testing
@testable import CSIDaemon

/// csihard.toml: the shipped example documents every key with its default; bad values name file, line and key.
@Suite struct DaemonConfigFileTests {
    /// `systemd/csihard.toml` in this checkout.
    static let examplePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../systemd/csihard.toml").standardized.path

    @Test func shippedExampleListsEveryKeyWithItsDefault() throws {
        let settings = try DaemonConfigFile.load(path: Self.examplePath)
        #expect(settings == DaemonSettings(), "the example's values are the built-in defaults")
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        let documented = try Set(TOMLParser.parse(text).map {
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
        ("[pipeline\n", "bad.toml:1: expected ']'"),
    ])
    func badValuesNameFileLineAndKey(text: String, message: String) {
        do {
            _ = try DaemonConfigFile.parse(text, path: "bad.toml")
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.description.hasPrefix(message), "got: \(error.description)")
        }
    }

    @Test func missingFileIsAClearError() {
        #expect(throws: ConfigError.self) { try DaemonConfigFile.load(path: "/nonexistent/csihard.toml") }
    }
}
