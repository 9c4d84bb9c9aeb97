import Foundation
import Testing
import CSITestSupport
import CSICapture
@testable import CSIFeatures
@testable import CSISimulator

@Suite struct SimulatorTests {
    @Test func scriptParsingAndErrors() throws {
        let script = try ActivityScript(parsing: "idle 5s, walk 4s, fall 1s, lie down 3s, Pick-Up 500ms")
        #expect(script.segments.map(\.activity) == [.idle, .walk, .fall, .lieDown, .pickUp])
        #expect(script.segments[3].start == 10 && script.segments[3].end == 13)
        #expect(abs(script.duration - 13.5) < 1e-12)
        #expect(throws: ActivityScriptError.self) { try ActivityScript(parsing: "dance 3s") }
        #expect(throws: ActivityScriptError.self) { try ActivityScript(parsing: "walk -3s") }
        #expect(throws: ActivityScriptError.self) { try ActivityScript(parsing: "walk") }
        #expect(throws: ActivityScriptError.self) { try ActivityScript(parsing: " , ") }
    }

    @Test func sameSeedSameRecordingDifferentSeedDifferentRoom() throws {
        let script = try ActivityScript(parsing: "walk 0.2s")
        let a = Simulator(config: SimulationConfig(seed: 42, rateHz: 200), script: script).frames()
        let b = Simulator(config: SimulationConfig(seed: 42, rateHz: 200), script: script).frames()
        let c = Simulator(config: SimulationConfig(seed: 43, rateHz: 200), script: script).frames()
        #expect(a.map(\.real) == b.map(\.real) && a.map(\.timestamp) == b.map(\.timestamp))
        #expect(a.first?.real != c.first?.real)
    }

    @Test func packetLossSkipsSequenceNumbersAndRateHolds() throws {
        let script = try ActivityScript(parsing: "idle 2s")
        let frames = Simulator(config: SimulationConfig(seed: 1, rateHz: 500, packetLoss: 0.2), script: script).frames()
        let gaps = zip(frames, frames.dropFirst()).filter { ($1.sequence ?? 0) - ($0.sequence ?? 0) > 1 }.count
        print("simulator: \(frames.count) of ~1000 packets kept at 20% loss, \(gaps) sequence gaps")
        #expect(frames.count > 700 && frames.count < 900)
        #expect(gaps > 100)
    }

    /// The physics must make activity visible: motion energy of the features while walking or falling is well
    /// above that of standing still, and the feature range is UT-HAR-like (scaled amplitudes in dB).
    @Test func motionIsVisibleInTheFeatures() throws {
        let script = try ActivityScript(parsing: "idle 2s, walk 2s, idle 1s, fall 1.5s, idle 1.5s")
        var energies: [SimulatedActivity: [Double]] = [:]
        var values: [Float] = []
        for seed: UInt64 in [11, 12, 13] {
            let simulator = Simulator(config: SimulationConfig(seed: seed, rateHz: 250), script: script)
            let pipeline = FeaturePipeline(config: FeaturePipelineConfig(steps: 25, sampleRateHz: 50, hopSeconds: 0.1))
            let start = simulator.startTime
            try simulator.run { frame in
                try pipeline.push(frame) { window in
                    let middle = (window.startTime + window.endTime) / 2 - start
                    if let segment = script.segments.first(where: { $0.start + 0.25 <= middle && middle < $0.end - 0.25 }) {
                        energies[segment.activity, default: []].append(window.motionEnergy)
                    }
                    values.append(contentsOf: window.values.prefix(90))
                }
            }
        }
        func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(max(xs.count, 1)) }
        let idle = mean(energies[.idle] ?? []), walk = mean(energies[.walk] ?? []), fall = mean(energies[.fall] ?? [])
        values.sort()
        let median = values[values.count / 2]
        print("motion energy (dB^2): idle \(idle), walk \(walk), fall \(fall); feature median \(median) dB, "
              + "p1 \(values[values.count / 100]), p99 \(values[values.count * 99 / 100])")
        #expect(walk > 5 * idle)
        #expect(fall > 3 * idle)
        #expect(median > 5 && median < 30)
    }

    /// `packetSubBand`: 20 MHz packets in one sub-band of an 80 MHz Nexmon capture (how a Raspberry Pi often records),
    /// the rest noise; the feature code reads such frames from that sub-band, full-channel packets over the whole band.
    @Test func nexmonPacketsInOneSubBand() throws {
        let script = try ActivityScript(parsing: "walk 0.5s")
        for band in 0..<4 {
            var config = SimulationConfig(device: .nexmon43455c0, seed: 7, rateHz: 50, bandwidthMHz: 80)
            config.packetSubBand = band
            let frames = Simulator(config: config, script: script).frames()
            let extractor = FeatureExtractor(options: FeatureOptions(allowReplicatedAntenna: true))
            for frame in frames {
                let (strongest, fraction) = extractor.strongestSubBand(frame)
                #expect(strongest == band && fraction > 0.95, "sub-band \(band): \(strongest) holds \(fraction)")
                #expect(extractor.activeSubBand(frame) == band)
            }
            print("packet sub-band \(band): \(frames.count) frames, sub-band share \(extractor.strongestSubBand(frames[0]).fraction)")
        }
        let whole = Simulator(config: SimulationConfig(device: .nexmon43455c0, seed: 7, rateHz: 50, bandwidthMHz: 80),
                              script: script).frames()
        let extractor = FeatureExtractor(options: FeatureOptions(allowReplicatedAntenna: true))
        #expect(whole.allSatisfy { extractor.activeSubBand($0) == -1 })
    }

    @Test func randomScriptsAreConsistent() {
        var random = SimulatorRandom(seed: 7)
        var getsUp = 0, staysDown = 0
        for _ in 0..<50 {
            let script = ActivityScript.random(count: 8, using: &random)
            var sitting = false, down = false
            for segment in script.segments {
                if segment.activity == .standUp {
                    if down { getsUp += 1 }
                    sitting = false; down = false
                } else if segment.activity == .sitDown { sitting = true }
                else if segment.activity == .fall || segment.activity == .lieDown { down = true }
                else if (sitting || down) && segment.activity != .idle {
                    Issue.record("\(segment.activity) while \(sitting ? "sitting" : "down")")
                }
            }
            if down { staysDown += 1 }
        }
        // after a fall or lying down the person sometimes stays down, sometimes stands up again
        print("random scripts: got up after a fall or lie down \(getsUp) times, stayed down \(staysDown) times")
        #expect(getsUp > 5 && staysDown > 5)
    }
}

@Suite struct CaptureDatasetTests {
    /// A simulated capture with its sidecar gives windows labelled by the activity covering > 60% of them.
    @Test func captureWithSidecarExportsLabelledWindows() throws {
        let dir = temporaryDirectory("dataset")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = try ActivityScript(parsing: "walk 2.1s, idle 1s, sit down 2.1s")
        let simulator = Simulator(config: SimulationConfig(seed: 21, rateHz: 200), script: script)
        let output = try simulator.write(to: dir + "/rec.dat")
        let track = try LabelTrack(contentsOf: output.labelsPath)
        #expect(track.intervals.map(\.label) == ["walk", "idle", "sit down"])
        let config = FeaturePipelineConfig(steps: 50, sampleRateHz: 50, hopSeconds: 0.2)   // 1 s windows
        let exporter = try DatasetExporter(outputDirectory: dir + "/out", config: config,
                                           labels: SimulatedActivity.utHARLabels)
        let summary = try exporter.add(DatasetRecording(path: output.path, track: track, group: "rec"),
                                       reader: try Intel5300Reader(path: output.path, hostTimePath: ""))
        try exporter.finish()
        let y = try NumpyFile.read(path: dir + "/out/y.npy").values.map { Int($0) }
        // windows end at 1.0, 1.2, ... s: walk > 60% while end <= 2.4 (8), end 2.6...3.6 skipped (6: split or idle),
        // sit down > 60% from end 3.8 to 5.0 or 5.2 (7 or 8, depending on the last frame's jittered time)
        let walk = SimulatedActivity.utHARLabels.firstIndex(of: "walk")!
        let sit = SimulatedActivity.utHARLabels.firstIndex(of: "sit down")!
        print("capture export: \(summary.windows) windows kept, \(summary.skippedWindows) skipped, y = \(y)")
        #expect(y.first == walk && y.last == sit)
        #expect(y.filter { $0 == walk }.count == 8)
        #expect((7...8).contains(y.filter { $0 == sit }.count))
        #expect(summary.skippedWindows == 6)
    }
}

@Suite struct SampleTests {
    /// The committed sample equals what samples/regenerate.sh makes (same seed and script, byte for byte).
    @Test func kitchenSampleIsReproducible() throws {
        let root = SharedData.repositoryRoot()
        let sample = root.appendingPathComponent("samples/kitchen-nexmon43455c0-80mhz.pcap").path
        guard FileManager.default.fileExists(atPath: sample) else { Issue.record("missing \(sample)"); return }
        let dir = temporaryDirectory("sample")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = SimulationConfig(device: .nexmon43455c0, seed: 12, rateHz: 20, bandwidthMHz: 80)
        let simulator = Simulator(config: config, script: try ActivityScript(parsing: "idle 3s, walk 6s, pick up 3s, idle 3s"))
        _ = try simulator.write(to: dir + "/k.pcap")
        let expected = try Data(contentsOf: URL(fileURLWithPath: sample))
        let made = try Data(contentsOf: URL(fileURLWithPath: dir + "/k.pcap"))
        #expect(made == expected, "samples/ are stale: run samples/regenerate.sh")
    }

    /// The AX210 FeitCSI sample equals what samples/regenerate.sh makes, byte for byte.
    @Test func ax210SampleIsReproducible() throws {
        let sample = SharedData.repositoryRoot().appendingPathComponent("samples/bedroom-ax210-20mhz.csi").path
        guard FileManager.default.fileExists(atPath: sample) else { Issue.record("missing \(sample)"); return }
        let dir = temporaryDirectory("sample-ax210")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = SimulationConfig(device: .ax210, seed: 14, rateHz: 100, bandwidthMHz: 20)
        let script = "idle 3s, walk 5s, sit down 3s, idle 2s, stand up 3s, fall 2s, idle 3s"
        _ = try Simulator(config: config, script: try ActivityScript(parsing: script)).write(to: dir + "/b.csi")
        let expected = try Data(contentsOf: URL(fileURLWithPath: sample))
        let made = try Data(contentsOf: URL(fileURLWithPath: dir + "/b.csi"))
        #expect(made == expected, "samples/ are stale: run samples/regenerate.sh")
    }

    /// Every sample reads back without issues and maps to 3x30 features (single-antenna ones with replication).
    @Test func samplesReadAndMapToFeatures() throws {
        let root = SharedData.repositoryRoot().appendingPathComponent("samples").path
        let names = try FileManager.default.contentsOfDirectory(atPath: root)
            .filter { !$0.hasSuffix(".labels.csv") && !$0.hasSuffix(".sh") && !$0.hasSuffix(".md") }
        #expect(names.count >= 5)
        for name in names.sorted() {
            let reader = try CaptureFile.open(path: root + "/" + name)
            let extractor = FeatureExtractor(options: FeatureOptions(allowReplicatedAntenna: true))
            let grouper = AntennaGrouper()
            var frames = 0, vectors = 0
            while let frame = try reader.nextFrame() {
                frames += 1
                let joined = frame.source.core != nil && name.contains("4366c0") ? grouper.push(frame) : frame
                guard let joined else { continue }
                let features = try extractor.features(of: joined)
                if let bad = features.first(where: { !($0.isFinite && $0 > -40 && $0 < 100) }) {
                    Issue.record("\(name) frame \(frames): feature \(bad) out of range"); break
                }
                vectors += 1
            }
            print("sample \(name): \(frames) frames -> \(vectors) feature vectors, issues \(reader.issueCounts)")
            #expect(reader.issueCounts.isEmpty && vectors > 100)
            let sidecar = try LabelTrack(contentsOf: root + "/" + (name as NSString).deletingPathExtension + ".labels.csv")
            #expect(!sidecar.intervals.isEmpty)
        }
    }
}

@Suite struct MultiCoreDatasetTests {
    /// A 3-core Nexmon capture exports 3-antenna windows (cores joined inside the pipeline).
    @Test func nexmonMultiCoreCaptureExports() throws {
        let root = SharedData.repositoryRoot().appendingPathComponent("samples").path
        let path = root + "/office-nexmon4366c0.pcap"
        let dir = temporaryDirectory("nexmon-ds")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = FeaturePipelineConfig(steps: 50, sampleRateHz: 25, hopSeconds: 0.5)
        let exporter = try DatasetExporter(outputDirectory: dir, config: config, labels: SimulatedActivity.utHARLabels)
        let summary = try exporter.add(DatasetRecording(path: path, track: try LabelTrack(contentsOf: root + "/office-nexmon4366c0.labels.csv"),
                                                        group: "office"), reader: try CaptureFile.open(path: path))
        try exporter.finish()
        print("office-nexmon4366c0: \(summary.frames) packets -> \(summary.windows) windows, \(summary.skippedWindows) skipped")
        #expect(summary.error == nil && summary.windows >= 15)
    }
}
