import ArgumentParser
import CSIDaemon
import CSIEvents
import CSICapture
import CSIInference
import Foundation

/// `csihar models`: what model files hold.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List and describe model files.",
        subcommands: [Show.self, List.self],
        defaultSubcommand: List.self)

    /// `csihar models show M`.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Architecture, parameters, input spec and labels of a model file.")

        @Argument(help: "Model file (.safetensors).")
        var model: String

        @Flag(name: .long, help: "Print one JSON object.")
        var json = false

        func run() async throws {
            let loaded = try CSIModel.load(path: model)
            if json {
                print(try ModelDescription(path: model, model: loaded).jsonLine())
            } else {
                print(ModelDescription(path: model, model: loaded).text())
            }
        }
    }

    /// `csihar models list [DIR]`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One line per model file in a directory.")

        @Argument(help: "Directory of .safetensors files (default: ./models, else the installed <bindir>/../share/csihar/models).")
        var directory: String?

        func run() async throws {
            let directory = self.directory ?? ModelSearchPath.standard(configPath: nil).resolveOrKeep("models")
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: directory)
                    .filter { $0.hasSuffix(".safetensors") }.sorted()
            } catch {
                throw CommandFailure("csihar models list: \(directory): cannot list (\(FileErrorReason.describe(error))); "
                                     + "give a directory of .safetensors files, or `csihar models show FILE`")
            }
            for name in names {
                let path = (directory as NSString).appendingPathComponent(name)
                do {
                    let model = try CSIModel.load(path: path)
                    let config = model.config
                    print("\(name)  \(config.architecture.rawValue)  hidden \(config.hiddenSize)  "
                          + "\(model.parameterCount) parameters  \(config.classes) classes  "
                          + "input \(config.steps)x\(config.features) @ \(config.sampleRateHz) Hz")
                } catch {
                    print("\(name)  unusable: \(error)")
                }
            }
        }
    }
}

/// What `models show` prints.
struct ModelDescription {
    let path: String
    let model: CSIModel

    /// Human-readable lines.
    func text() -> String {
        let config = model.config
        var lines = [
            "file:          \(path)",
            "name:          \(config.name)",
            "architecture:  \(config.architecture.rawValue)",
            "hidden size:   \(config.hiddenSize), layers \(config.numLayers), bidirectional \(config.bidirectional)",
        ]
        if let attention = config.attentionSize { lines.append("attention:     \(attention)") }
        if config.architecture == .rnn { lines.append("nonlinearity:  \(config.nonlinearity)") }
        lines += [
            "parameters:    \(model.parameterCount)",
            "cost:          \(String(format: "%.1f", model.flopsPerWindow / 1e6)) MFLOP per window",
            "input:         \(config.steps) steps x \(config.features) features at \(config.sampleRateHz) Hz "
                + "(\(String(format: "%.2f", Double(config.steps) / config.sampleRateHz)) s), layout \(config.layout), "
                + "transform \(config.transform)",
            "normalization: \(normalizationSummary)",
            "classes:       \(config.classes): \(config.labels.joined(separator: ", "))",
            "smoother:      " + smootherSummary(smoother),
        ]
        return lines.joined(separator: "\n")
    }

    /// `declared` in one line.
    private func smootherSummary(_ declared: ModelSmootherDefaults) -> String {
        declared.isEmpty ? "none declared (the configured [smoother] applies)"
            : "\(declared) (its streams' defaults; a [smoother] key set in the config wins)"
    }

    /// The smoother values the file declares (none when it declares none, or they are unreadable: loading the model
    /// in csihard would then name the field).
    var smoother: ModelSmootherDefaults {
        (try? ModelSmootherDefaults(configJSON: model.config.json, labels: model.config.labels, path: path)) ?? ModelSmootherDefaults()
    }

    /// The normalisation in one line, whole numbers never cut: its kind and, per feature, how many values and
    /// their range (the full values are in `--json`).
    var normalizationSummary: String {
        let text = model.config.normalizationJSON
        guard !text.isEmpty else { return "none" }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            return "present (unreadable as JSON)"
        }
        var parts = [(object["kind"] as? String) ?? "?"]
        for key in object.keys.sorted() where key != "kind" {
            if let values = (object[key] as? [Any])?.compactMap({ ($0 as? NSNumber)?.doubleValue }), let low = values.min(),
               let high = values.max() {
                parts.append("\(key) \(values.count) values in [\(String(format: "%.4g", low)), \(String(format: "%.4g", high))]")
            } else if let value = (object[key] as? NSNumber)?.doubleValue {
                parts.append("\(key) \(String(format: "%.4g", value))")
            }
        }
        return parts.joined(separator: ", ") + " (values: --json)"
    }

    /// One JSON object.
    func jsonLine() throws -> String {
        let config = model.config
        var object: [String: Any] = [
            "file": path, "name": config.name, "architecture": config.architecture.rawValue,
            "hidden_size": config.hiddenSize, "num_layers": config.numLayers, "bidirectional": config.bidirectional,
            "parameters": model.parameterCount, "mflop_per_window": model.flopsPerWindow / 1e6,
            "classes": config.classes, "labels": config.labels,
            "input": ["steps": config.steps, "features": config.features, "sample_rate_hz": config.sampleRateHz,
                      "layout": config.layout, "transform": config.transform] as [String: Any],
        ]
        if let attention = config.attentionSize { object["attention_size"] = attention }
        let declared = smoother
        if !declared.isEmpty { object["smoother"] = declared.values }
        if !config.normalizationJSON.isEmpty,
           let normalization = try? JSONSerialization.jsonObject(with: Data(config.normalizationJSON.utf8)) {
            object["normalization"] = normalization
        }
        return try JSONLine.string(object)
    }
}
