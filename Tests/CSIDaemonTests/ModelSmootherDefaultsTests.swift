@testable import CSIDaemon
import CSIEvents
import CSIFeatures
import CSIInference
import Foundation
import Testing

/// The `smoother` values a model file declares (docs/model-format.md): read and checked naming the field, applied
/// to the model's streams, and overridden by the keys a config file's `[smoother]` sets.
@Suite struct ModelSmootherDefaultsTests {
    @Test func declaredValuesAreReadAndBadOnesNameTheField() throws {
        let none = try ModelSmootherDefaults(configJSON: #"{"name": "m"}"#, labels: ["fall", "idle"], path: "m.safetensors")
        #expect(none.isEmpty)
        let both = try ModelSmootherDefaults(configJSON: #"{"smoother": {"fall_confidence": 0.8, "fall_peak_confidence": 0.99}}"#,
                                             labels: ["fall", "idle"], path: "m.safetensors")
        #expect(both == ModelSmootherDefaults(["fall_confidence": 0.8, "fall_peak_confidence": 0.99]))
        func error(_ smoother: String) -> String {
            do {
                _ = try ModelSmootherDefaults(configJSON: #"{"smoother": "# + smoother + "}", labels: ["fall", "idle"], path: "m.safetensors")
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        let unknown = error(#"{"idle_label": 0.5}"#)
        print("unknown key: \(unknown)")
        #expect(unknown.contains("m.safetensors: smoother.idle_label: not a setting a model may declare"))
        #expect(error(#"{"fall_peak_confidence": 1.5}"#).contains("smoother.fall_peak_confidence: must be in 0...1"))
        #expect(error(#"{"enter_confidence": 0.3}"#).contains("smoother.exit_confidence: must be <= enter_confidence"))
        #expect(error(#"{"averaging_seconds": 0.2}"#).contains("smoother.fall_averaging_seconds: must be > 0 and <= averaging_seconds"))
        #expect(error(#"{"fall_confidence": "high"}"#).contains("smoother.fall_confidence: must be a number"))
        #expect(error(#"{"fall_confidence": true}"#).contains("smoother.fall_confidence: must be a number"))
        #expect(error("[0.9]").contains("m.safetensors: smoother: must be an object"))
        #expect(error(#"{"exit_seconds": false}"#).contains("smoother.exit_seconds: must be a number"))
    }

    @Test func wholeNumbersAreNumbersNotBooleans() throws {
        // JSON 1, 1.0, 0 and 0.0 are numbers (on Linux, Foundation's `is Bool` holds for them: that test refused
        // a model declaring `minimum_seconds: 1.0`).
        let whole = try ModelSmootherDefaults(
            configJSON: #"{"smoother": {"minimum_seconds": 1.0, "averaging_seconds": 1, "fall_peak_confidence": 1, "exit_seconds": 0.0}}"#,
            labels: ["fall", "idle"], path: "m.safetensors")
        #expect(whole == ModelSmootherDefaults(["minimum_seconds": 1, "averaging_seconds": 1, "fall_peak_confidence": 1,
                                                "exit_seconds": 0]))
        for text in ["1", "1.0", "0", "0.0", "0.9", "-2"] {
            let value = try JSONSerialization.jsonObject(with: Data("[\(text)]".utf8)) as! [Any]
            #expect(JSONNumber.finite(value[0]) == Double(text), "\(text)")
        }
        for text in ["true", "false", "\"1\"", "null"] {
            let value = try JSONSerialization.jsonObject(with: Data("[\(text)]".utf8)) as! [Any]
            #expect(JSONNumber.finite(value[0]) == nil, "\(text)")
        }
    }

    @Test func configFileKeysWinOverTheModelsValues() throws {
        let defaults = ModelSmootherDefaults(["fall_confidence": 0.8, "fall_peak_confidence": 0.99, "minimum_seconds": 1.2])
        let base = SmootherConfig(labels: ["fall", "idle"])
        let applied = defaults.applied(to: base, except: [])
        #expect(applied.fallConfidence == 0.8 && applied.fallPeakConfidence == 0.99 && applied.minimumSeconds == 1.2)
        let kept = defaults.applied(to: base, except: ["fall_peak_confidence"])
        #expect(kept.fallConfidence == 0.8 && kept.fallPeakConfidence == base.fallPeakConfidence)
        // A configured exit_confidence above a declared enter_confidence: the configuration stays as written.
        var configured = base
        configured.exitConfidence = 0.55
        let mixed = ModelSmootherDefaults(["enter_confidence": 0.5, "minimum_seconds": 1.2]).applied(to: configured, except: ["exit_confidence"])
        #expect(mixed == configured)

        let settings = try DaemonConfigFile.parse("[smoother]\nfall_peak_confidence = 0.5\nenter_confidence = 0.7\n", path: "t.toml")
        #expect(settings.pipeline.configuredSmootherKeys == ["fall_peak_confidence", "enter_confidence"])
        #expect(DaemonSettings().pipeline.configuredSmootherKeys.isEmpty)
    }

    /// The default model rewritten with a `smoother` object: its stream's smoother takes the declared values, except
    /// a key the config sets.
    @Test func aStreamGetsItsModelsDeclaredValues() throws {
        var file = try SafetensorsFile.read(path: CalibrationHarness.modelPath)
        var config = try #require(JSONSerialization.jsonObject(with: Data(file.metadata["csihar", default: ""].utf8)) as? [String: Any])
        config["smoother"] = ["fall_confidence": 0.8, "fall_peak_confidence": 0.97, "minimum_seconds": 1.1]
        file.metadata["csihar"] = String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)
        let path = temporaryStateDirectory("declared") + "/declared.safetensors"
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        try Data(file.serialized()).write(to: URL(fileURLWithPath: path))

        let frames = try CalibrationHarness.frames("idle 4s")
        func smoother(_ settings: PipelineConfig) throws -> SmootherConfig {
            let harness = try CalibrationHarness(stateDirectory: nil, modelPath: path, config: settings)
            harness.feed(frames[...], macs: [1])
            return try #require(harness.pipeline.streams[CalibrationHarness.key(1)]).smoother.config
        }
        let plain = try smoother(PipelineConfig())
        #expect(plain.fallConfidence == 0.8 && plain.fallPeakConfidence == 0.97 && plain.minimumSeconds == 1.1)
        let configured = try DaemonConfigFile.parse("[smoother]\nfall_peak_confidence = 0.5\n", path: "t.toml").pipeline
        let overridden = try smoother(configured)
        #expect(overridden.fallConfidence == 0.8 && overridden.fallPeakConfidence == 0.5)
        // The shipped default model declares nothing: the configured smoother applies unchanged.
        let shipped = try CalibrationHarness(stateDirectory: nil)
        shipped.feed(frames[...], macs: [1])
        #expect(try #require(shipped.pipeline.streams[CalibrationHarness.key(1)]).smoother.config.fallPeakConfidence
                == PipelineConfig().smoother.fallPeakConfidence)
    }
}
