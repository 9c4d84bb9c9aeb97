import Foundation
import Testing

/// How the CLI fails and prints for machines: runtime failures exit 1 with one line (no usage text), `--json` paths
/// are not `\/`-escaped, `--version` answers.
@Suite struct CLIFailureTests {
    @Test func unreachableDaemonIsOneLineAndExitOne() throws {
        for command in [["status"], ["subscribe"]] {
            guard let run = try runCsihar(command + ["--socket", "/tmp/csihar-test-no-such.sock"]) else { return }
            let lines = run.stderr.split(separator: "\n")
            print("csihar \(command[0]): exit \(run.status), \(run.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
            #expect(run.status == 1)
            #expect(lines.count == 1 && lines.first?.contains("/tmp/csihar-test-no-such.sock") == true)
            #expect(!run.stderr.contains("Usage"))
        }
    }

    @Test func jsonKeepsSlashesAndVersionAnswers() throws {
        guard let inspect = try runCsihar(["inspect", "--json", "samples/hallway-esp32.csv"]) else { return }
        #expect(inspect.status == 0)
        #expect(inspect.stdout.contains("\"file\":\"samples/hallway-esp32.csv\""), "\(inspect.stdout.prefix(200))")
        #expect(!inspect.stdout.contains("\\/"))
        guard let version = try runCsihar(["--version"]) else { return }
        print("csihar --version: \(version.stdout)")
        #expect(version.status == 0 && version.stdout.split(separator: ".").count == 3)
    }

    /// `models show` never cuts a number: the normalisation is summarised, its values are in `--json`.
    @Test func modelsShowSummarisesTheNormalisation() throws {
        guard let text = try runCsihar(["models", "show", "models/csihar-1ch-doppler-gru.safetensors"]),
              let json = try runCsihar(["models", "show", "--json", "models/csihar-1ch-doppler-gru.safetensors"]) else { return }
        let line = text.stdout.split(separator: "\n").first { $0.hasPrefix("normalization:") } ?? ""
        print(line)
        #expect(line.contains("standard, mean 16 values in [") && line.hasSuffix("(values: --json)"))
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let normalization = object?["normalization"] as? [String: Any]
        #expect((normalization?["mean"] as? [Any])?.count == 16 && (normalization?["std"] as? [Any])?.count == 16)
    }

    /// `bench` prints text without `--json` and exactly one JSON object with it.
    @Test func benchPrintsJSONOnlyWhenAsked() throws {
        guard let text = try runCsihar(["bench", "sgemm", "--size", "64", "--seconds", "0.05"]),
              let json = try runCsihar(["bench", "sgemm", "--size", "64", "--seconds", "0.05", "--json"]) else { return }
        print("text: \(text.stdout)json: \(json.stdout)")
        #expect(text.status == 0 && text.stdout.hasPrefix("sgemm 64x64x64") && !text.stdout.contains("{"))
        let lines = json.stdout.split(separator: "\n")
        #expect(json.status == 0 && lines.count == 1)
        #expect((try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8))) is [String: Any])
    }
}
