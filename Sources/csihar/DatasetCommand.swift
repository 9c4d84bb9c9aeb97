import ArgumentParser
import CSICapture
import CSIFeatures
import Foundation

/// `csihar dataset`: training data made with the daemon's own feature code (train/serve parity).
struct DatasetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Build training datasets with the daemon's feature, resampling and window code.",
        subcommands: [DatasetExportCommand.self])
}

/// `csihar dataset export`: labelled recordings -> `OUT/X.npy`, `y.npy`, `recording.npy`, `meta.json`.
struct DatasetExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export labelled recordings as windows: X.npy (N, steps, 90) float32 un-normalised, y.npy int64, "
            + "recording.npy int32, meta.json.",
        discussion: """
            Formats:
              wiar     directories holding WiAR csi_a{activity}_{trial}.dat files (searched recursively); the
                       activity labels the whole recording; group = distance-<d>m / height-<h>cm / folder name.
                       Byte-identical files (the WiAR walk files repeat across distances) are kept once.
              capture  capture files (Intel .dat, Nexmon pcap, ESP32 CSV) with a sidecar <file>.labels.csv
                       (start,end,activity; seconds from the first frame); a window takes the activity covering
                       more than --min-coverage of it, else it is skipped (or labelled --unlabeled).
              ut-har   SenseFi UT-HAR folders (data/X_*.csv, label/y_*.csv: NumPy arrays named .csv).
            Defaults: wiar 25 Hz x 50 steps, hop 0.25 s; capture 250 Hz x 250 steps, hop 0.2 s (UT-HAR).
            Transforms (--transform): amplitude-db (3x30 amplitudes in dB, the default), csi-ratio-doppler (CSI
            ratio between receive chains, static part removed, Doppler spectrum in --bins bands from --fft-point
            spectra of the ratio resampled at --doppler-rate, one step every 1 / --sample-rate s; defaults 250 Hz,
            64 points, 32 bands, 10 steps/s, 40 steps = 4 s windows; docs/features.md), amplitude-doppler (the
            same spectrum of gain-normalised amplitudes: needs one receive chain only) or sanitized-doppler (the
            same spectrum of receive chain 0's CSI with each packet's phase line across subcarriers removed) or
            amplitude-sanitized-doppler (both, the amplitude bands first: 2 x --bins features).
            """)

    @Option(help: "Input format: wiar, capture or ut-har.")
    var format: String

    @Option(name: .shortAndLong, help: "Output directory.")
    var output: String

    @Option(help: "Time steps per window.")
    var steps: Int?

    @Option(help: "Model steps per second of capture time.")
    var sampleRate: Double?

    @Option(help: "Seconds between windows.")
    var hopSeconds: Double?

    @Option(help: "Comma-separated label order (y = index). Windows with other labels are skipped.")
    var labels: String?

    @Option(help: "Capture sidecars: fraction of a window its label must cover.")
    var minCoverage: Double = 0.6

    @Option(help: "Capture sidecars: label for windows no activity covers enough (default: skip them).")
    var unlabeled: String?

    @Option(help: ArgumentHelp("Capture sidecars: a background label (e.g. idle) that any other label covering more "
                               + "than --min-coverage of a window overrides (default: the label covering most).",
                               valueName: "label"))
    var backgroundLabel: String?

    @Option(help: "Zero-order-hold points averaged per step (2 = SenseFi UT-HAR).")
    var pointsPerStep: Int = 2

    @Option(help: "Longest gap (s) a value is held; longer gaps restart the window.")
    var maxHold: Double = 0.5

    @Option(help: "Input transform: amplitude-db, csi-ratio-doppler, amplitude-doppler, sanitized-doppler or amplitude-sanitized-doppler.")
    var transform: String = FeatureTransform.amplitudeDBName

    @Option(help: "Doppler transforms: rate (Hz) the CSI ratio is resampled at.")
    var dopplerRate: Double = DopplerSpec.standard.rateHz

    @Option(help: "Doppler transforms: points per spectrum.")
    var fftPoints: Int = DopplerSpec.standard.fftSize

    @Option(help: "Doppler transforms: signed-frequency bands per spectrum (divides --fft-points).")
    var bins: Int = DopplerSpec.standard.bins

    @Flag(help: "csi-ratio-doppler: use only the phase of the CSI ratio (unit magnitude; per-chain gain steps vanish).")
    var unitRatio = false

    @Option(help: "Doppler transforms except amplitude-sanitized-doppler: static-change features after the bands, one per lag in spectrum frames (e.g. 5,10,20).")
    var driftLags: String?

    @Option(help: "Doppler transforms: running median over this many resampled instants before the spectrum (odd; 1 = none).")
    var medianSteps: Int = 1

    @Flag(help: "Allow single-antenna sources by replicating the antenna (flagged; not UT-HAR-like).")
    var allowReplicatedAntenna = false

    @Option(help: "Keep only the first N receive chains of every frame (e.g. 2-chain data from 3-chain captures).")
    var maxChains: Int?

    @Flag(help: "Keep byte-identical duplicate recordings.")
    var keepDuplicates = false

    @Flag(help: "No progress line on stderr (shown on a terminal; elsewhere one line every 10 s).")
    var noProgress = false

    @Argument(help: "Input directories (wiar, ut-har) or capture files (capture).")
    var inputs: [String]

    static let wiarLabels = ["horizontal arm wave", "high arm wave", "two hands wave", "high throw", "draw x",
                             "draw tick", "toss paper", "forward kick", "side kick", "bend", "hand clap", "walk",
                             "phone call", "drink water", "sit down", "squat"]
    static let utHARLabels = ["lie down", "fall", "walk", "pick up", "run", "sit down", "stand up"]

    func validate() throws {
        guard ["wiar", "capture", "ut-har"].contains(format) else { throw ValidationError("--format must be wiar, capture or ut-har") }
        guard !inputs.isEmpty else { throw ValidationError("give at least one input") }
        if let steps, steps < 1 || steps > 100_000 { throw ValidationError("--steps must be 1...100000") }
        if let sampleRate, !(sampleRate > 0 && sampleRate <= 10_000) { throw ValidationError("--sample-rate must be in (0, 10000]") }
        if let hopSeconds, !(hopSeconds > 0) { throw ValidationError("--hop-seconds must be positive") }
        guard minCoverage >= 0 && minCoverage < 1 else { throw ValidationError("--min-coverage must be in [0, 1)") }
        guard pointsPerStep >= 1 && pointsPerStep <= 64 else { throw ValidationError("--points-per-step must be 1...64") }
        guard maxHold > 0 else { throw ValidationError("--max-hold must be positive") }
        if let maxChains, maxChains < 1 { throw ValidationError("--max-chains must be at least 1") }
        _ = try featureTransform()
    }

    /// The transform the options ask for (`--sample-rate` is the spectrum frame rate for csi-ratio-doppler).
    func featureTransform() throws -> FeatureTransform {
        switch transform {
        case FeatureTransform.amplitudeDBName: return .amplitudeDB
        case FeatureTransform.ratioDopplerName, FeatureTransform.amplitudeDopplerName, FeatureTransform.sanitizedDopplerName,
             FeatureTransform.amplitudeSanitizedDopplerName:
            let frameRate = sampleRate ?? 10
            let hop = Int((dopplerRate / frameRate).rounded())
            let lags = try (driftLags?.split(separator: ",", omittingEmptySubsequences: false) ?? []).map { item in
                guard let lag = Int(item.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--drift-lags: '\(item)' is not a whole number")
                }
                return lag
            }
            if !lags.isEmpty && transform == FeatureTransform.amplitudeSanitizedDopplerName {
                throw ValidationError("--drift-lags does not apply to \(transform)")
            }
            let spec = DopplerSpec(rateHz: dopplerRate, fftSize: fftPoints, hop: max(1, hop), bins: bins,
                                   unitRatio: unitRatio, driftLags: lags, medianSteps: medianSteps)
            do { try spec.validate() } catch { throw ValidationError("\(error)") }
            guard abs(spec.frameRateHz - frameRate) < 1e-6 * frameRate else {
                throw ValidationError("--sample-rate \(frameRate) must divide --doppler-rate \(dopplerRate) evenly")
            }
            if transform != FeatureTransform.ratioDopplerName {
                guard !unitRatio else { throw ValidationError("--unit-ratio applies to csi-ratio-doppler only") }
                switch transform {
                case FeatureTransform.amplitudeDopplerName: return .amplitudeDoppler(spec)
                case FeatureTransform.sanitizedDopplerName: return .sanitizedDoppler(spec)
                default: return .amplitudeSanitizedDoppler(spec)
                }
            }
            return .ratioDoppler(spec)
        default:
            throw ValidationError("--transform must be one of \(FeatureTransform.supportedNames.joined(separator: ", "))")
        }
    }

    func run() async throws {
        let labelList = labels.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            ?? (format == "wiar" ? Self.wiarLabels : Self.utHARLabels)
        switch format {
        case "wiar": try exportRecordings(wiarRecordings(), labels: labelList, defaults: (25, 50, 0.25))
        case "capture":
            let doppler = transform != FeatureTransform.amplitudeDBName
            try exportRecordings(captureRecordings(), labels: labelList, defaults: doppler ? (10, 40, 0.2) : (250, 250, 0.2))
        default: try exportUTHAR(labels: labelList)
        }
    }

    private func pipelineConfig(defaults: (rate: Double, steps: Int, hop: Double)) -> FeaturePipelineConfig {
        FeaturePipelineConfig(steps: steps ?? defaults.steps, sampleRateHz: sampleRate ?? defaults.rate,
                              hopSeconds: hopSeconds ?? defaults.hop, pointsPerStep: pointsPerStep,
                              maxHoldSeconds: maxHold,
                              features: FeatureOptions(allowReplicatedAntenna: allowReplicatedAntenna),
                              transform: (try? featureTransform()) ?? .amplitudeDB)
    }

    private func exportRecordings(_ recordings: [DatasetRecording], labels: [String],
                                  defaults: (rate: Double, steps: Int, hop: Double)) throws {
        guard !recordings.isEmpty else { throw CommandFailure("no recordings found in \(inputs.joined(separator: ", "))") }
        let config = pipelineConfig(defaults: defaults)
        let exporter = try DatasetExporter(outputDirectory: output, config: config, labels: labels,
                                           minimumCoverage: minCoverage, unlabeled: unlabeled)
        exporter.maxChains = maxChains
        exporter.backgroundLabel = backgroundLabel
        var failed = 0
        let progress = ProgressReporter(task: "dataset export", unit: "recordings", total: recordings.count,
                                        mode: ProgressReporter.automaticMode(disabled: noProgress))
        progress.update(done: 0)
        defer { progress.finish() }   // also before an error message (finishing twice is harmless)
        for recording in recordings {
            defer { progress.advance(detail: "\(exporter.windowCount) windows") }
            let reader: any CaptureReader
            do {
                reader = try CaptureFile.open(path: recording.path,
                                              options: CaptureOptions(hostTimePath: format == "wiar" ? "" : nil))
            } catch {
                progress.note("\(recording.path): skipped: \(error)")
                failed += 1
                continue
            }
            let summary = try exporter.add(recording, reader: reader)
            if let error = summary.error { progress.note("\(recording.path): \(error)"); failed += 1 }
            if !summary.issues.isEmpty { progress.note("\(recording.path): reader skipped records \(summary.issues)") }
            if summary.windows == 0 && summary.error == nil {
                progress.note("\(recording.path): no window (\(summary.frames) frames; shorter than a window?)")
            }
        }
        progress.finish()
        try exporter.finish(extra: ["format": format, "source_command": CommandLine.arguments.joined(separator: " ")])
        print("\(output): \(exporter.windowCount) windows of \(config.steps) x \(config.featureCount) at "
              + "\(config.sampleRateHz) Hz (hop \(config.hopSteps) steps) from \(recordings.count) recordings"
              + (failed > 0 ? ", \(failed) unusable" : ""))
    }

    /// WiAR files under the input directories, duplicates removed.
    private func wiarRecordings() throws -> [DatasetRecording] {
        var result: [DatasetRecording] = []
        var seen: [UInt64: String] = [:]
        for input in inputs {
            var files: [String] = []
            if let enumerator = FileManager.default.enumerator(atPath: input) {
                for case let relative as String in enumerator where relative.hasSuffix(".dat") { files.append(input + "/" + relative) }
            }
            for path in files.sorted() {
                let name = (path as NSString).lastPathComponent
                let parts = name.dropFirst("csi_a".count).dropLast(".dat".count).split(separator: "_")
                guard name.hasPrefix("csi_a"), parts.count == 2, let activity = Int(parts[0]), let trial = Int(parts[1]),
                      (1...Self.wiarLabels.count).contains(activity) else { continue }
                if !keepDuplicates, let data = FileManager.default.contents(atPath: path) {
                    let hash = fnv1a(data)
                    if let first = seen[hash] {
                        printError("\(path): identical to \(first), kept once")
                        continue
                    }
                    seen[hash] = path
                }
                result.append(DatasetRecording(path: path, label: Self.wiarLabels[activity - 1], trial: trial,
                                               group: wiarGroup(path)))
            }
        }
        return result
    }

    /// `distance-3m` for `.../distance/3_alldata/...`, `height-60cm` for `.../height/60_rawdata/...`, else the folder.
    private func wiarGroup(_ path: String) -> String {
        let components = (path as NSString).deletingLastPathComponent.split(separator: "/").map(String.init)
        guard let folder = components.last else { return "wiar" }
        let parent = components.count >= 2 ? components[components.count - 2] : ""
        let number = folder.prefix { $0.isNumber }
        if parent == "distance", !number.isEmpty { return "distance-\(number)m" }
        if parent == "height", !number.isEmpty { return "height-\(number)cm" }
        return folder
    }

    private func captureRecordings() throws -> [DatasetRecording] {
        try inputs.map { path in
            let base = (path as NSString).deletingPathExtension
            let sidecar = base + ".labels.csv"
            guard FileManager.default.fileExists(atPath: sidecar) else {
                throw ValidationError("\(path): label sidecar \(sidecar) not found")
            }
            return DatasetRecording(path: path, track: try LabelTrack(contentsOf: sidecar),
                                    group: (base as NSString).lastPathComponent)
        }
    }

    /// SenseFi UT-HAR arrays: every X_<split>.csv with its y_<split>.csv.
    private func exportUTHAR(labels: [String]) throws {
        var pairs: [(split: String, x: String, y: String)] = []
        for input in inputs {
            for dataDir in [input + "/data", input + "/UT_HAR/data", input] {
                guard let names = try? FileManager.default.contentsOfDirectory(atPath: dataDir) else { continue }
                for name in names.sorted() where name.hasPrefix("X_") && name.hasSuffix(".csv") {
                    let split = String(name.dropFirst(2).dropLast(4))
                    let labelDir = (dataDir as NSString).deletingLastPathComponent + "/label"
                    let candidates = [labelDir + "/y_\(split).csv", dataDir + "/y_\(split).csv"]
                    guard let y = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                        throw ValidationError("\(dataDir)/\(name): no matching y_\(split).csv")
                    }
                    pairs.append((split, dataDir + "/" + name, y))
                }
                if !pairs.isEmpty { break }
            }
        }
        guard !pairs.isEmpty else { throw ValidationError("no X_*.csv found in \(inputs.joined(separator: ", "))") }
        var exporter: DatasetExporter?
        for pair in pairs {
            let set = try UTHARArrays(xPath: pair.x, yPath: pair.y, classes: labels.count)
            if exporter == nil {
                var config = pipelineConfig(defaults: (250, set.steps, 0.2))
                config.steps = set.steps
                exporter = try DatasetExporter(outputDirectory: output, config: config, labels: labels)
            }
            guard exporter!.config.steps == set.steps else {
                throw ValidationError("\(pair.x): \(set.steps) steps, earlier files have \(exporter!.config.steps)")
            }
            try exporter!.addWindows(set.windows, labelIndices: set.labels, path: pair.x, group: pair.split)
        }
        try exporter!.finish(extra: ["format": format, "source_command": CommandLine.arguments.joined(separator: " ")])
        print("\(output): \(exporter!.windowCount) UT-HAR windows from \(pairs.map(\.split).joined(separator: ", "))")
    }

    private func fnv1a(_ data: Data) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in data { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash ^ UInt64(data.count)
    }

    private func printError(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
