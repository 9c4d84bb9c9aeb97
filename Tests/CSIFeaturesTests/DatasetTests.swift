import Foundation
import Testing
import CSICapture
import CSITestSupport
@testable import CSIFeatures

private func scratchDirectory(_ name: String) -> String {
    let path = NSTemporaryDirectory() + "csihar-ds-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite struct DatasetTests {
    @Test func labelTrackCoverage() throws {
        let track = try LabelTrack(csv: "start,end,activity\n0,5,idle\n5,9,walk\n9,10,fall\n")
        #expect(track.label(start: 4, end: 5, minimumCoverage: 0.6) == "idle")
        #expect(track.label(start: 4.5, end: 5.5, minimumCoverage: 0.6) == nil)        // 50/50
        #expect(track.label(start: 4.7, end: 5.7, minimumCoverage: 0.6) == "walk")      // 70% walk
        #expect(track.label(start: 4.3, end: 5.3, minimumCoverage: 0.6) == "idle")      // 70% idle
        #expect(track.label(start: 20, end: 21, minimumCoverage: 0.6) == nil)
        #expect(throws: NumpyFile.FormatError.self) { try LabelTrack(csv: "0,1,walk\n3,2,fall\n") }
    }

    @Test func backgroundLabelGivesWayToAShortActivity() throws {
        // a 1.3 s fall between idle periods, seen by 3 s windows with the 40% rule of the training scripts
        let track = try LabelTrack(csv: "start,end,activity\n0,10,idle\n10,11.3,fall\n11.3,20,idle\n12,14,walk\n")
        #expect(track.label(start: 9, end: 12, minimumCoverage: 0.4) == "idle")                       // most covers
        #expect(track.label(start: 9, end: 12, minimumCoverage: 0.4, background: "idle") == "fall")   // 43% fall
        #expect(track.label(start: 6, end: 9, minimumCoverage: 0.4, background: "idle") == "idle")    // no fall
        #expect(track.label(start: 10.5, end: 13.5, minimumCoverage: 0.4, background: "idle") == "walk")
        #expect(track.label(start: 7.5, end: 10.5, minimumCoverage: 0.4, background: "idle") == "idle") // 17% fall
        // equal cover: the label first in the file wins, whatever the dictionary order
        let tie = try LabelTrack(csv: "0,1,walk\n1,2,run\n")
        #expect(tie.label(start: 0, end: 2, minimumCoverage: 0.4) == "walk")
    }

    @Test func numpyRoundTripAndUTHARReader() throws {
        // a tiny SenseFi-style UT-HAR pair: X (3, 1, 250, 90) float64 and y (3,) int64, named .csv
        let dir = scratchDirectory("ut-har")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let n = 3
        var x = [Double](repeating: 0, count: n * 250 * 90)
        for i in 0..<x.count { x[i] = Double(i % 977) * 0.03 - 5 }
        let xData = x.withUnsafeBufferPointer { Data(buffer: $0) }
        try NumpyFile.write(path: dir + "/X_train.csv", descr: "<f8", shape: [n, 1, 250, 90], data: xData)
        try NumpyFile.write(path: dir + "/y_train.csv", int64: [0, 6, 3])
        let arrays = try UTHARArrays(xPath: dir + "/X_train.csv", yPath: dir + "/y_train.csv", classes: 7)
        #expect(arrays.steps == 250 && arrays.labels == [0, 6, 3] && arrays.windows.count == x.count)
        var maxDiff = 0.0
        for i in 0..<x.count { maxDiff = max(maxDiff, abs(Double(arrays.windows[i]) - x[i])) }
        print("UT-HAR .npy reader: maxdiff = \(maxDiff) (float64 -> float32)")
        #expect(maxDiff < 1e-5)
        // a bad label is named
        try NumpyFile.write(path: dir + "/y_bad.csv", int64: [0, 7, 3])
        #expect(throws: NumpyFile.FormatError.self) {
            try UTHARArrays(xPath: dir + "/X_train.csv", yPath: dir + "/y_bad.csv", classes: 7)
        }
        // a streamed X.npy has the right header after finish()
        let exporter = try DatasetExporter(outputDirectory: dir + "/out", config: .utHAR,
                                           labels: ["lie down", "fall", "walk", "pick up", "run", "sit down", "stand up"])
        try exporter.addWindows(arrays.windows, labelIndices: arrays.labels, path: "X_train.csv", group: "train")
        try exporter.finish()
        let back = try NumpyFile.read(path: dir + "/out/X.npy")
        #expect(back.shape == [3, 250, 90])
        #expect(try NumpyFile.read(path: dir + "/out/y.npy").values == [0, 6, 3])
        #expect(try NumpyFile.read(path: dir + "/out/recording.npy").values == [0, 0, 0])
    }

    @Test func wiarRecordingsGiveWholeRecordingLabels() throws {
        guard let file = SharedData.file("wiar/height/60_rawdata/csi_a12_1.dat") else { return }
        let dir = scratchDirectory("wiar")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = FeaturePipelineConfig(steps: 50, sampleRateHz: 25, hopSeconds: 0.25)
        let exporter = try DatasetExporter(outputDirectory: dir, config: config, labels: ["walk"])
        let reader = try Intel5300Reader(path: file.path, hostTimePath: "")
        let summary = try exporter.add(DatasetRecording(path: file.path, label: "walk", trial: 1, group: "height-60cm"),
                                       reader: reader)
        try exporter.finish()
        // ~9 s at 25 Hz -> ~225 steps -> (225 - 50) / 6 + 1 windows
        print("WiAR csi_a12_1: \(summary.frames) frames -> \(summary.windows) windows")
        #expect(summary.frames > 200 && summary.windows >= 25 && summary.error == nil)
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/meta.json"))) as? [String: Any]
        let input = meta?["input"] as? [String: Any]
        #expect(input?["steps"] as? Int == 50 && input?["layout"] as? String == "3x30")
        #expect(meta?["hop_steps"] as? Int == 6)
        #expect((meta?["recordings"] as? [[String: Any]])?.first?["group"] as? String == "height-60cm")
    }
}
