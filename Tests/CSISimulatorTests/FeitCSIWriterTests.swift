import Foundation
import Testing
import CSICapture
@testable import CSIFeatures
@testable import CSISimulator

private let shortScript = "idle 0.3s, walk 0.4s, fall 0.3s"

/// The simulated AX210 (FeitCSI `.csi`): the writer round-trips through ``FeitCSIReader``, the device looks like
/// the real example captures, and its frames map to features over the whole band.
@Suite struct FeitCSIWriterTests {
    @Test(arguments: [(20, nil), (40, nil), (80, nil), (160, nil), (20, AX210PHYFormat.he), (40, .he), (80, .vht),
                      (160, .vht)] as [(Int, AX210PHYFormat?)])
    func ax210WriterRoundTripsThroughFeitCSIReader(bandwidth: Int, format: AX210PHYFormat?) throws {
        let dir = temporaryDirectory("ax210")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = SimulationConfig(device: .ax210, seed: 9, rateHz: 100, bandwidthMHz: bandwidth, phyFormat: format)
        let simulator = Simulator(config: config, script: try ActivityScript(parsing: shortScript))
        let written = simulator.frames()
        let path = dir + "/rt.csi"
        let output = try simulator.write(to: path)
        #expect(output.frames == written.count && written.count > 80)
        let reader = try CaptureFile.open(path: path)          // content sniffing must say FeitCSI
        let read = try readAll(reader)
        #expect(reader.issueCounts.isEmpty, "\(reader.issueCounts)")
        try #require(read.count == written.count)
        let layout = try #require(config.resolvedPHYFormat.toneLayout(bandwidthMHz: bandwidth))
        var maxDiff: Float = 0
        var maxTimeDiff = 0.0
        for (a, b) in zip(written, read) {
            #expect(b.device == .feitCSI && a.device == b.device && a.source == b.source && a.rssi == b.rssi)
            #expect(b.nrx == 2 && b.ntx == 1 && a.nrx == b.nrx && a.ntx == b.ntx)
            #expect(b.bandwidthMHz == bandwidth && b.subcarriers == layout.indices && a.subcarriers == b.subcarriers)
            #expect(a.extras == b.extras, "\(a.extras) vs \(b.extras)")
            for i in 0..<a.real.count {
                maxDiff = max(maxDiff, abs(a.real[i] - b.real[i]), abs(a.imag[i] - b.imag[i]))
            }
            maxTimeDiff = max(maxTimeDiff, abs(a.timestamp - b.timestamp))
        }
        let name = layout.name
        print("ax210 \(name) writer -> FeitCSIReader: \(read.count) frames x \(layout.indices.count) tones, "
              + "CSI maxdiff = \(maxDiff), time maxdiff = \(maxTimeDiff) s")
        #expect(maxDiff == 0)
        #expect(maxTimeDiff < 1e-6)
        // file size: 272-byte header + 2 chains x 4 bytes per tone, per record
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        #expect(size == read.count * (272 + 8 * layout.indices.count))
        #expect(read[0].extras["modulation"] == config.resolvedPHYFormat.modulationCode)
    }

    /// As the FeitCSI example captures: pilots exactly 0, every other tone non-zero, per-record RMS near 155
    /// (the AGC), RSSI negative per chain, timestamps at the rate, an 8-bit CSI sequence counter.
    @Test func ax210FramesLookLikeTheRealCard() throws {
        let config = SimulationConfig(device: .ax210, seed: 21, rateHz: 200, bandwidthMHz: 80)
        let frames = Simulator(config: config, script: try ActivityScript(parsing: "idle 1s, walk 1s")).frames()
        let layout = OFDMToneLayout.he80
        let pilots = Set(layout.pilots)
        #expect(pilots.count == 16)
        for frame in frames.prefix(50) {
            var power = 0.0
            for (s, k) in frame.subcarriers.enumerated() {
                for r in 0..<2 {
                    let i = frame.index(tx: 0, rx: r, subcarrier: s)
                    let zero = frame.real[i] == 0 && frame.imag[i] == 0
                    #expect(zero == pilots.contains(k) || (!pilots.contains(k) && abs(frame.real[i]) + abs(frame.imag[i]) <= 2))
                    power += Double(frame.real[i] * frame.real[i] + frame.imag[i] * frame.imag[i])
                }
            }
            let rms = (power / Double(2 * frame.nsub)).squareRoot()
            #expect(rms > 110 && rms < 200, "rms \(rms)")
            #expect(frame.rssi.count == 2 && frame.rssi.allSatisfy { $0 < -10 && $0 > -100 })
        }
        let seconds = frames.last!.timestamp - frames[0].timestamp
        let rate = Double(frames.count - 1) / seconds
        print("ax210 HE80 at 200 Hz: \(frames.count) frames in \(seconds) s (\(rate) Hz), rssi \(frames[0].rssi)")
        #expect(abs(rate - 200 * 0.99) < 8)
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $1.timestamp > $0.timestamp })
        let sequences = frames.map { $0.extras["csi_sequence"]! }
        #expect(sequences.allSatisfy { (0...255).contains($0) } && Set(sequences).count > 200)
    }

    /// The 30 layout subcarriers of simulated AX210 frames cover the occupied band at every width and format
    /// (HE indices are 4 times denser than legacy ones), never read a pilot, and give finite features.
    @Test(arguments: [(20, AX210PHYFormat.ht), (40, .ht), (80, .vht), (160, .vht), (20, .he), (40, .he), (80, .he),
                      (160, .he)])
    func ax210FramesMapOverTheWholeBand(bandwidth: Int, format: AX210PHYFormat) throws {
        let config = SimulationConfig(device: .ax210, seed: 4, rateHz: 50, bandwidthMHz: bandwidth, phyFormat: format)
        let frames = Simulator(config: config, script: try ActivityScript(parsing: "walk 0.2s")).frames()
        let frame = try #require(frames.first)
        let extractor = FeatureExtractor(options: FeatureOptions(allowReplicatedAntenna: true))
        let plan = try extractor.plan(for: frame)
        let chosen = (plan.lower + plan.upper).map { frame.subcarriers[$0] }
        let pilots = Set(OFDMToneLayout.layout(bandwidthMHz: bandwidth, tones: frame.nsub)!.pilots)
        #expect(chosen.allSatisfy { !pilots.contains($0) }, "a pilot was chosen")
        let spacing = config.subcarrierSpacingHz
        let low = Double(chosen.min()!) * spacing, high = Double(chosen.max()!) * spacing
        let occupied = Double(frame.subcarriers.last! - frame.subcarriers.first!) * spacing
        print("ax210 \(format) \(bandwidth) MHz: layout spans \(low / 1e6)...\(high / 1e6) MHz of "
              + "\(occupied / 1e6) MHz occupied, flags \(plan.flags.rawValue)")
        #expect((high - low) > 0.85 * occupied)
        #expect(low < 0 && high > 0 && abs(low + high) < 0.1 * occupied)
        for frame in frames {
            let features = try extractor.features(of: frame)
            #expect(features.allSatisfy { $0.isFinite && $0 > 0 && $0 < 100 })
        }
    }
}
