import Foundation
import Testing
import CSICapture
@testable import CSIFeatures

/// One frame of the csiread golden fixture (scripts/make-feature-fixtures.py).
private struct GoldenFrame: Decodable {
    var source: String
    var index: Int
    var nrx: Int
    var ntx: Int
    var rssi: [Int]
    var noise: Int
    var agc: Int
    var real: [Int]
    var imag: [Int]
    var features: [Double]
}

private struct GoldenFile: Decodable {
    var oracle: String
    var frames: [GoldenFrame]
}

private func fixtureURL(_ name: String, file: String = #filePath) -> URL {
    URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("Fixtures").appendingPathComponent(name)
}

/// A frame with one antenna row per entry of `magnitudes`, each a function of the signed subcarrier index.
func syntheticFrame(device: CSIDevice, subcarriers: [Int], bandwidth: Int, rows: Int, rssi: [Int] = [],
                    magnitude: (Int, Int) -> Float) -> CSIFrame {
    var real: [Float] = [], imag: [Float] = []
    for r in 0..<rows {
        for k in subcarriers {
            let m = magnitude(r, k)
            real.append(m * 0.6)
            imag.append(m * 0.8)
        }
    }
    return CSIFrame(timestamp: 0, device: device, rssi: rssi, bandwidthMHz: bandwidth, ntx: 1, nrx: rows,
                    subcarriers: subcarriers, real: real, imag: imag)
}

@Suite struct FeatureExtractorTests {
    @Test func intel5300MatchesCsireadGetScaledCSI() throws {
        let data = try Data(contentsOf: fixtureURL("intel5300-features.json"))
        let golden = try JSONDecoder().decode(GoldenFile.self, from: data)
        #expect(golden.frames.count > 40)
        let extractor = FeatureExtractor()
        var maxDiff = 0.0
        var ntxSeen = Set<Int>()
        for g in golden.frames {
            let frame = CSIFrame(timestamp: 0, device: .intel5300, rssi: g.rssi, noise: g.noise, agc: g.agc,
                                 ntx: g.ntx, nrx: g.nrx, subcarriers: FeatureLayout.intelSubcarriers20MHz,
                                 real: g.real.map(Float.init), imag: g.imag.map(Float.init))
            let features = try extractor.features(of: frame)
            for f in 0..<90 { maxDiff = max(maxDiff, abs(Double(features[f]) - g.features[f])) }
            ntxSeen.insert(g.ntx)
        }
        print("intel5300 amplitude-db vs \(golden.oracle) get_scaled_csi: \(golden.frames.count) frames, "
              + "Ntx \(ntxSeen.sorted()), maxdiff = \(maxDiff) dB")
        #expect(maxDiff < 1e-4)
        #expect(ntxSeen.count >= 2)
    }

    @Test func intel5300SpecTestVector() throws {
        // csi-formats.md §1.3-1.5: first record of log.all_csi.6.7.6.dat, subcarrier 0 after permutation
        // A = 11-3j, B = 10+6j, C = -5+14j; scaled: 6.3421-1.7297j, 5.7656+3.4593j, -2.8828+8.0718j.
        let data = try Data(contentsOf: fixtureURL("intel5300-features.json"))
        let golden = try JSONDecoder().decode(GoldenFile.self, from: data)
        let first = try #require(golden.frames.first { $0.source.hasPrefix("captures/intel5300/log.all_csi") })
        #expect(first.real[0] == 11 && first.imag[0] == -3 && first.real[30] == 10 && first.real[60] == -5)
        let frame = CSIFrame(timestamp: 0, device: .intel5300, rssi: first.rssi, noise: first.noise, agc: first.agc,
                             ntx: first.ntx, nrx: first.nrx, subcarriers: FeatureLayout.intelSubcarriers20MHz,
                             real: first.real.map(Float.init), imag: first.imag.map(Float.init))
        let features = try FeatureExtractor().features(of: frame)
        let expected = [(6.3421, -1.7297), (5.7656, 3.4593), (-2.8828, 8.0718)].map { 20 * log10(($0.0 * $0.0 + $0.1 * $0.1).squareRoot()) }
        for a in 0..<3 { #expect(abs(Double(features[30 * a]) - expected[a]) < 1e-3) }
    }

    @Test func intelWithTwoAntennasIsOneClearError() {
        let frame = syntheticFrame(device: .intel5300, subcarriers: FeatureLayout.intelSubcarriers20MHz, bandwidth: 20,
                                   rows: 2, rssi: [30, 30, 0]) { _, _ in 10 }
        #expect(throws: FeatureError.tooFewAntennas(device: "intel5300", available: 2)) {
            try FeatureExtractor().features(of: frame)
        }
    }

    @Test func nexmon20MHzPicksIntelIndicesAndSubstitutesCorruptedBin() throws {
        let grid = Array(-32...31)
        // magnitude encodes the subcarrier index: |H| = 100 + k (+ 1000 per antenna row)
        let frame = syntheticFrame(device: .nexmon(chip: 106), subcarriers: grid, bandwidth: 20, rows: 3) { r, k in
            k == 28 ? 50000 : Float(100 + k + 1000 * r)
        }
        let extractor = FeatureExtractor(options: FeatureOptions(rssScaling: false))
        var out = [Float](repeating: 0, count: 90)
        let flags = try out.withUnsafeMutableBufferPointer { try extractor.extract(frame, into: $0) }
        #expect(flags.contains(.substitutedSubcarrier) && flags.contains(.unscaled))
        for a in 0..<3 {
            for (s, k) in FeatureLayout.intelSubcarriers20MHz.enumerated() {
                let source = max(-26, min(26, k))    // +-27/+-28 are absent from legacy packets: read +-26
                let expected = 20 * log10(Float(100 + source + 1000 * a))
                #expect(abs(out[30 * a + s] - expected) < 1e-4, "antenna \(a) subcarrier \(k)")
            }
        }
    }

    @Test func singleCoreNeedsExplicitReplication() throws {
        let frame = syntheticFrame(device: .nexmon(chip: 101), subcarriers: Array(-32...31), bandwidth: 20, rows: 1,
                                   rssi: [-60]) { _, k in Float(50 + abs(k)) }
        #expect(throws: FeatureError.tooFewAntennas(device: "nexmon", available: 1)) {
            try FeatureExtractor().features(of: frame)
        }
        let extractor = FeatureExtractor(options: FeatureOptions(allowReplicatedAntenna: true))
        var out = [Float](repeating: 0, count: 90)
        let flags = try out.withUnsafeMutableBufferPointer { try extractor.extract(frame, into: $0) }
        #expect(flags.contains(.replicatedAntenna))
        #expect(Array(out[0..<30]) == Array(out[30..<60]) && Array(out[0..<30]) == Array(out[60..<90]))
    }

    @Test func rssScalingGivesSNRUnits() throws {
        // SNR = dB-sum of rssi (-60 dBm x 3) - noise (-92 dBm): mean_k sum_rx |H'|^2 must equal it.
        let frame = syntheticFrame(device: .nexmon(chip: 106), subcarriers: Array(-32...31), bandwidth: 20, rows: 3,
                                   rssi: [-60, -60, -60]) { r, k in Float(200 + 3 * k + 50 * r) }
        let features = try FeatureExtractor().features(of: frame)
        var power = 0.0
        for f in 0..<90 { power += pow(10, Double(features[f]) / 10) }
        let snr = 3 * pow(10, (-60.0 + 92) / 10)
        print("rss scaling: mean_k sum_rx |H'|^2 = \(power / 30), SNR = \(snr)")
        #expect(abs(power / 30 - snr) / snr < 1e-4)
    }

    @Test func wideband80MHzUsesTheActiveSubBand() throws {
        let grid = Array(-128...127)
        // a 20 MHz frame in the sub-band centred at +32 (bins 4..60); the rest near zero
        let frame = syntheticFrame(device: .nexmon(chip: 106), subcarriers: grid, bandwidth: 80, rows: 3) { _, k in
            (4...60).contains(k) && k != 32 ? Float(100 + k) : 0.01
        }
        let extractor = FeatureExtractor(options: FeatureOptions(rssScaling: false))
        var out = [Float](repeating: 0, count: 90)
        let flags = try out.withUnsafeMutableBufferPointer { try extractor.extract(frame, into: $0) }
        #expect(flags.contains(.subBand))
        for (s, k) in FeatureLayout.intelSubcarriers20MHz.enumerated() {
            #expect(abs(out[s] - 20 * log10(Float(100 + 32 + max(-26, min(26, k))))) < 1e-4, "subcarrier \(k)")
        }
        // energy spread over the whole band: interpolation at 30 evenly spaced indices over +-122
        let wide = syntheticFrame(device: .nexmon(chip: 106), subcarriers: grid, bandwidth: 80, rows: 3) { _, k in
            abs(k) >= 2 && abs(k) <= 122 ? Float(300 + k) : 0
        }
        let wideFlags = try out.withUnsafeMutableBufferPointer { try extractor.extract(wide, into: $0) }
        #expect(wideFlags.contains(.interpolated))
        #expect(abs(out[0] - 20 * log10(Float(300 - 122))) < 1e-4)
        #expect(abs(out[29] - 20 * log10(Float(300 + 122))) < 1e-4)
        // Nexmon firmware writes PhyRxStatus into bins 0, +1, +2: values far larger than the CSI there (95% of the
        // packet's squares in the simulator, 81% in nexmon_csi's example_43455c0.pcap) must not make a full-band
        // packet look like a 20 MHz one in the sub-band above DC
        let overwritten = syntheticFrame(device: .nexmon(chip: 101), subcarriers: grid, bandwidth: 80, rows: 1) { _, k in
            (0...2).contains(k) ? 16_000 : (abs(k) >= 2 && abs(k) <= 122 ? Float(300 + k) : 0)
        }
        let onePlan = FeatureExtractor(options: FeatureOptions(allowReplicatedAntenna: true, rssScaling: false))
        let overwrittenFlags = try out.withUnsafeMutableBufferPointer { try onePlan.extract(overwritten, into: $0) }
        #expect(overwrittenFlags.contains(.interpolated) && !overwrittenFlags.contains(.subBand))
        #expect(abs(out[0] - 20 * log10(Float(300 - 122))) < 1e-4)
        // the same bins on another device's grid count as CSI (only Nexmon overwrites them)
        let other = syntheticFrame(device: .feitCSI, subcarriers: grid, bandwidth: 80, rows: 2) { _, k in
            (0...2).contains(k) ? 16_000 : (abs(k) >= 2 && abs(k) <= 122 ? Float(300 + k) : 0)
        }
        #expect(onePlan.strongestSubBand(other).band == 2)
        #expect(onePlan.strongestSubBand(overwritten).fraction < 0.5)
    }

    @Test func subBandDecisionHasHysteresis() throws {
        let grid = Array(-128...127)
        // share `inBand` of the energy in sub-band 1 (tones -64..-1), the rest spread over the other three
        func frame(_ inBand: Double) -> CSIFrame {
            syntheticFrame(device: .nexmon(chip: 106), subcarriers: grid, bandwidth: 80, rows: 1) { _, k in
                let band = (k + 128) >> 6
                let count = band == 1 ? 64 : 192 - 3   // the phy-status bins 0...2 are not counted
                let share = band == 1 ? inBand : 1 - inBand
                return (0...2).contains(k) ? 0 : Float((share / Double(count)).squareRoot() * 1000)
            }
        }
        let extractor = FeatureExtractor()
        let fractions = [0.8, 0.95, 0.7, 0.55, 0.4, 0.85, 0.92]
        let expected = [-1, 1, 1, 1, -1, -1, 1]   // enter at >= 0.9, stay while >= 0.5
        for (fraction, band) in zip(fractions, expected) {
            let f = frame(fraction)
            #expect(abs(extractor.strongestSubBand(f).fraction - fraction) < 1e-6)
            #expect(extractor.activeSubBand(f) == band, "fraction \(fraction)")
            #expect(extractor.activeSubBand(f) == band, "deciding twice on one frame changes nothing")
        }
    }

    @Test func legacyAndHTPacketsGiveTheSameFeatures() throws {
        // A Raspberry Pi hears legacy 11a/g packets (tones +-1..+-26) between HT ones (+-1..+-28): real Fition
        // recordings hold 11-12% of them. Both must read the same layout, natively at 20 MHz and as a 20 MHz packet
        // in sub-band 0 of an 80 MHz grid (bins 4..60 around -96).
        for (bandwidth, grid, centre) in [(20, Array(-32...31), 0), (80, Array(-128...127), -96)] {
            func packet(legacy: Bool) -> CSIFrame {
                syntheticFrame(device: .nexmon(chip: 106), subcarriers: grid, bandwidth: bandwidth, rows: 1) { _, k in
                    let tone = k - centre
                    guard (1...28).contains(abs(tone)) else { return 0.01 }
                    return legacy && abs(tone) > 26 ? 0.01 : Float(100 + tone)
                }
            }
            let extractor = FeatureExtractor(options: FeatureOptions(allowReplicatedAntenna: true, rssScaling: false))
            let ht = try extractor.features(of: packet(legacy: false))
            let legacy = try extractor.features(of: packet(legacy: true))
            let maxdiff = zip(ht, legacy).map { abs($0 - $1) }.max() ?? .infinity
            print("legacy vs HT packet, \(bandwidth) MHz grid: maxdiff \(maxdiff) dB")
            #expect(maxdiff < 1e-4)
            #expect(abs(ht[0] - 20 * log10(Float(100 - 26))) < 1e-4)    // -28 read at -26
            #expect(abs(ht[1] - 20 * log10(Float(100 - 26))) < 1e-4)    // -26
            #expect(abs(ht[28] - 20 * log10(Float(100 + 26))) < 1e-4)   // +27 read at +26
        }
    }

    @Test func esp32LegacyUsesNearestValidForGuards() throws {
        var frame = syntheticFrame(device: .esp32, subcarriers: Array(-32...31), bandwidth: 20, rows: 1,
                                   rssi: [-50]) { _, k in Float(100 + k) }
        frame.extras["sig_mode"] = 0
        let extractor = FeatureExtractor(options: FeatureOptions(allowReplicatedAntenna: true, rssScaling: false))
        let features = try extractor.features(of: frame)
        #expect(abs(features[0] - 20 * log10(Float(100 - 26))) < 1e-4)   // -28 -> -26
        #expect(abs(features[29] - 20 * log10(Float(100 + 26))) < 1e-4)  // +28 -> +26
        #expect(abs(features[28] - 20 * log10(Float(100 + 26))) < 1e-4)  // +27 -> +26
    }

    @Test func zeroCSIGivesZeroFeaturesNotNaN() throws {
        let frame = syntheticFrame(device: .intel5300, subcarriers: FeatureLayout.intelSubcarriers20MHz, bandwidth: 20,
                                   rows: 3, rssi: [30, 30, 30]) { _, _ in 0 }
        let features = try FeatureExtractor().features(of: frame)
        #expect(features.allSatisfy { $0 == 0 })
    }
}
