import Foundation
import Testing
import CSICapture
import CSITestSupport
@testable import CSIFeatures

/// The subcarrier plan of AX200/AX210 frames: HE tone indices (78.125 kHz apart) are planned by frequency, so the
/// 30 layout subcarriers span the occupied band at 20-160 MHz, and the pilots (reported as 0) are never read.
@Suite struct HESubcarrierPlanTests {
    /// The signed tone indices the plan reads (both interpolation neighbours).
    private func chosenTones(_ plan: SubcarrierPlan, _ frame: CSIFrame) -> [Int] {
        (plan.lower + plan.upper).map { frame.subcarriers[$0] }
    }

    /// Real FeitCSI captures (shared data): HE80 and HE160 cover their band; HT20 and VHT80 keep their legacy plan
    /// but skip the zero pilots; every feature is finite and no layout entry is a zero.
    @Test(arguments: [("HESU80_5500.csi", 78_125.0), ("HESU160_5500.csi", 78_125.0), ("HT20_2452.csi", 312_500.0),
                      ("VHT80_5500.csi", 312_500.0)])
    func realFeitCSICapturesSpanTheOccupiedBand(name: String, spacing: Double) throws {
        guard let url = SharedData.file("captures/feitcsi/\(name)") else {
            print("SKIP: \(name) is missing (../shared/data/captures/feitcsi); HE plan checked on synthetic frames only")
            return
        }
        let reader = try FeitCSIReader(path: url.path)
        let extractor = FeatureExtractor(options: FeatureOptions(allowReplicatedAntenna: true))
        var frames = 0
        while let frame = try reader.nextFrame() {
            frames += 1
            let plan = try extractor.plan(for: frame)
            let tones = chosenTones(plan, frame)
            let pilots = Set(OFDMToneLayout.layout(bandwidthMHz: frame.bandwidthMHz, tones: frame.nsub)!.pilots)
            #expect(!pilots.isEmpty && tones.allSatisfy { !pilots.contains($0) })
            let low = Double(tones.min()!) * spacing, high = Double(tones.max()!) * spacing
            let occupied = Double(frame.subcarriers.last! - frame.subcarriers.first!) * spacing
            if frames == 1 {
                print("\(name): \(frame.nsub) tones at \(frame.bandwidthMHz) MHz, layout \(low / 1e6)...\(high / 1e6) MHz "
                      + "of \(occupied / 1e6) MHz occupied")
            }
            #expect((high - low) > 0.85 * occupied && abs(low + high) < 0.1 * occupied)
            // no layout entry reads a zero tone (pilots are 0 in these captures)
            for s in 0..<30 {
                for r in 0..<frame.nrx {
                    let i = frame.index(tx: 0, rx: r, subcarrier: plan.lower[s])
                    #expect(frame.real[i] != 0 || frame.imag[i] != 0, "\(name) tone \(frame.subcarriers[plan.lower[s]])")
                }
            }
            let features = try extractor.features(of: frame)
            #expect(features.allSatisfy { $0.isFinite && $0 > 0 })
        }
        #expect(frames > 20 && reader.issueCounts.isEmpty)
    }

    /// Synthetic FeitCSI frames of every HE width: the plan reads the same frequencies as the legacy plan of the
    /// same width (index / 4), so a channel that is a function of frequency gives nearly the same features.
    @Test(arguments: [(20, OFDMToneLayout.he20, OFDMToneLayout.ht20), (40, .he40, .ht40), (80, .he80, .vht80),
                      (160, .he160, .vht160)])
    func heAndLegacyPlansReadTheSameFrequencies(bandwidth: Int, he: OFDMToneLayout, legacy: OFDMToneLayout) throws {
        // magnitude a smooth function of frequency (legacy index units), differing per chain
        let channel: (Int, Double) -> Float = { r, f in Float(100 + 40 * sin(f / 30 + Double(r)) + 0.1 * f) }
        let heFrame = syntheticFrame(device: .feitCSI, subcarriers: he.indices, bandwidth: bandwidth, rows: 3,
                                     rssi: [-40, -41, -42]) { r, k in channel(r, Double(k) / 4) }
        let legacyFrame = syntheticFrame(device: .feitCSI, subcarriers: legacy.indices, bandwidth: bandwidth, rows: 3,
                                         rssi: [-40, -41, -42]) { r, k in channel(r, Double(k)) }
        let extractor = FeatureExtractor()
        let hePlan = try extractor.plan(for: heFrame), legacyPlan = try extractor.plan(for: legacyFrame)
        let heTones = chosenTones(hePlan, heFrame).map { Double($0) / 4 }
        let legacyTones = chosenTones(legacyPlan, legacyFrame).map(Double.init)
        let heFeatures = try extractor.features(of: heFrame), legacyFeatures = try extractor.features(of: legacyFrame)
        let maxDiff = zip(heFeatures, legacyFeatures).map { abs($0 - $1) }.max()!
        print("HE\(bandwidth): layout \(heTones.min()!)...\(heTones.max()!) legacy units (legacy plan "
              + "\(legacyTones.min()!)...\(legacyTones.max()!)), feature maxdiff vs legacy \(maxDiff) dB")
        #expect(abs(heTones.min()! - legacyTones.min()!) <= 6 && abs(heTones.max()! - legacyTones.max()!) <= 6)
        #expect(maxDiff < 1)   // HE bands reach 3 legacy tones further out (+-125 vs +-122 at 80 MHz)
    }

    /// Grids that are not HE keep their plans: Nexmon 80 MHz FFT bins reach +-128 (not HE), an HE20 grid is HE.
    @Test func heDetectionByIndexReach() {
        let extractor = FeatureExtractor()
        let nexmon80 = syntheticFrame(device: .nexmon(chip: 101), subcarriers: Array(-128..<128), bandwidth: 80,
                                      rows: 1) { _, _ in 1 }
        let nexmon20 = syntheticFrame(device: .nexmon(chip: 101), subcarriers: Array(-32..<32), bandwidth: 20,
                                      rows: 1) { _, _ in 1 }
        let he20 = syntheticFrame(device: .feitCSI, subcarriers: OFDMToneLayout.he20.indices, bandwidth: 20,
                                  rows: 1) { _, _ in 1 }
        let vht80 = syntheticFrame(device: .feitCSI, subcarriers: OFDMToneLayout.vht80.indices, bandwidth: 80,
                                   rows: 1) { _, _ in 1 }
        #expect(extractor.toneScale(nexmon80) == 1 && extractor.toneScale(nexmon20) == 1)
        #expect(extractor.toneScale(he20) == 4 && extractor.toneScale(vht80) == 1)
        #expect(extractor.pilotTones(nexmon80).isEmpty && extractor.pilotTones(vht80).count == 8)
    }
}
