import CSICapture

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Options for mapping frames to the 3 x 30 layout.
public struct FeatureOptions: Sendable, Hashable {
    /// Copy antenna 0 into missing antenna slots when a frame has fewer than 3 receive antennas (a single-core
    /// Nexmon chip, one ESP32 board). Off by default: such a stream is an error unless the user allows it.
    public var allowReplicatedAntenna: Bool
    /// Scale non-Intel CSI to SNR units from RSSI and noise (csi-formats.md §7.3). On by default.
    public var rssScaling: Bool
    /// Fraction of a wideband frame's energy that one 20 MHz sub-band must hold to be treated as a 20 MHz frame.
    public var subBandEnergyFraction: Double

    /// Creates options.
    public init(allowReplicatedAntenna: Bool = false, rssScaling: Bool = true, subBandEnergyFraction: Double = 0.9) {
        self.allowReplicatedAntenna = allowReplicatedAntenna
        self.rssScaling = rssScaling
        self.subBandEnergyFraction = subBandEnergyFraction
    }
}

/// Maps one ``CSIFrame`` to the 90-feature `amplitude-db` vector: `20 log10 |H_scaled|` with `-inf -> 0`,
/// feature `f = 30 * antenna + s` (docs/features.md).
///
/// * Intel 5300: exactly `get_scaled_csi` (csi-formats.md §1.5, §7.2); transmit stream 0 when Ntx > 1;
///   a 40 MHz frame uses the Ng = 4 set and is flagged.
/// * Nexmon, ESP32, Atheros, simulated: the 30 Intel subcarrier indices picked from the frame's grid (§7.3 (A)),
///   corrupted or guard bins substituted by the nearest valid neighbour, 20 MHz sub-band of a wideband capture
///   when one sub-band holds the energy, otherwise interpolation at 30 evenly spaced indices; amplitudes scaled to
///   SNR units from RSSI and noise.
///
/// One extractor per stream (it caches the subcarrier plan of the stream's grid). No allocation per frame once
/// the plan of a grid is built.
public final class FeatureExtractor {
    /// The options in force.
    public let options: FeatureOptions

    /// Cached plans per subcarrier grid.
    var plans: [PlanKey: SubcarrierPlan] = [:]
    /// The 20 MHz sub-band of a wideband grid the stream's frames are read from, -1 for the whole band
    /// (``activeSubBand(_:)``: entered at ``FeatureOptions/subBandEnergyFraction``, kept while above one half).
    var heldSubBand = -1
    /// Magnitudes of the selected entries, (3, 30); allocated once, written through its pointer.
    private let magnitude = UnsafeMutablePointer<Double>.allocate(capacity: FeatureLayout.features)

    /// Creates an extractor.
    public init(options: FeatureOptions = FeatureOptions()) {
        self.options = options
        magnitude.initialize(repeating: 0, count: FeatureLayout.features)
    }

    deinit {
        magnitude.deallocate()
    }

    /// The feature vector of `frame` as a new array (convenience for tests and tools; allocates).
    public func features(of frame: CSIFrame) throws(FeatureError) -> [Float] {
        var out = [Float](repeating: 0, count: FeatureLayout.features)
        _ = try out.withUnsafeMutableBufferPointer { buffer throws(FeatureError) in
            try extract(frame, into: buffer)
        }
        return out
    }

    /// Writes the 90 features of `frame` into `out` (at least 90 floats) and returns notes on how they were made.
    /// Throws ``FeatureError`` when the frame cannot supply the layout; `out` is then left unspecified.
    @discardableResult
    public func extract(_ frame: CSIFrame, into out: UnsafeMutableBufferPointer<Float>) throws(FeatureError) -> FeatureFlags {
        guard out.count >= FeatureLayout.features else {
            throw .malformedFrame(device: frame.device.description, reason: "output holds \(out.count) < \(FeatureLayout.features) features")
        }
        let (plan, flags) = try check(frame)
        @inline(__always) func row(_ antenna: Int) -> Int { antenna < frame.nrx ? antenna : 0 }

        // |H| of the selected entries (tx 0), (3, 30)
        let magnitude = self.magnitude
        frame.real.withUnsafeBufferPointer { re in
            frame.imag.withUnsafeBufferPointer { im in
                for a in 0..<FeatureLayout.antennas {
                    let base = frame.index(tx: 0, rx: row(a), subcarrier: 0)
                    for s in 0..<FeatureLayout.subcarriersPerAntenna {
                        magnitude[a * FeatureLayout.subcarriersPerAntenna + s] = plan.magnitude(s, base: base, real: re, imag: im)
                    }
                }
            }
        }

        // Scale factor to SNR units.
        var factor = 1.0
        if frame.device == .intel5300 {
            factor = Intel5300Scaling.scaleFactor(of: frame)
        } else if options.rssScaling, !frame.rssi.isEmpty {
            factor = rssScaleFactor(frame, row: row)
        }

        // 20 log10 |H_scaled|, -inf -> 0
        Decibels.amplitude(magnitude, count: FeatureLayout.features, factor: factor, into: out)
        return flags
    }

    /// Checks that `frame` can supply the layout (shape, antennas, subcarrier grid) without computing anything per
    /// subcarrier, and returns the notes ``extract(_:into:)`` would return. Throws what `extract` would throw.
    /// Cheap: the pipeline checks every frame but featurises only the frames its resampler samples.
    @discardableResult
    public func validate(_ frame: CSIFrame) throws(FeatureError) -> FeatureFlags {
        try check(frame).flags
    }

    /// Throws ``FeatureError/malformedFrame(device:reason:)`` when `out` holds fewer than `count` values.
    func requireOutput(_ out: UnsafeMutableBufferPointer<Float>, _ count: Int, for frame: CSIFrame) throws(FeatureError) {
        guard out.count >= count else {
            throw .malformedFrame(device: frame.device.description, reason: "output holds \(out.count) < \(count) values")
        }
    }

    /// The checks every transform makes: the CSI arrays match the declared shape; notes the transmit stream used.
    func checkShape(_ frame: CSIFrame) throws(FeatureError) -> FeatureFlags {
        let nsub = frame.nsub
        guard frame.ntx >= 1, frame.nrx >= 1, nsub >= 1, frame.real.count == frame.ntx * frame.nrx * nsub,
              frame.imag.count == frame.real.count else {
            throw .malformedFrame(device: frame.device.description, reason: "ntx=\(frame.ntx) nrx=\(frame.nrx) nsub=\(nsub), "
                                  + "\(frame.real.count) values")
        }
        return frame.ntx > 1 ? .firstTransmitStream : []
    }

    /// ``validate(_:)`` with the subcarrier plan.
    private func check(_ frame: CSIFrame) throws(FeatureError) -> (plan: SubcarrierPlan, flags: FeatureFlags) {
        var flags = try checkShape(frame)
        if frame.nrx < FeatureLayout.antennas {
            guard options.allowReplicatedAntenna else {
                throw .tooFewAntennas(device: frame.device.description, available: frame.nrx)
            }
            flags.insert(.replicatedAntenna)
        }
        let plan = try plan(for: frame)
        flags.formUnion(plan.flags)
        if frame.device != .intel5300 && !(options.rssScaling && !frame.rssi.isEmpty) { flags.insert(.unscaled) }
        return (plan, flags)
    }

    /// `H' = H * sqrt(SNR / mean_k sum_rx |H|^2)` over the selected 3 x 30 entries, with SNR from the dB sum of
    /// the antennas' RSSI (dBm) minus the noise floor (-92 dBm when unknown), as Intel's `get_scaled_csi` without
    /// its quantisation term (csi-formats.md §7.3).
    private func rssScaleFactor(_ frame: CSIFrame, row: (Int) -> Int) -> Double {
        var power = 0.0          // sum over 3 x 30 of |H|^2
        for f in 0..<FeatureLayout.features { power += magnitude[f] * magnitude[f] }
        guard power > 0 else { return 0 }
        var rssLinear = 0.0
        for a in 0..<FeatureLayout.antennas {
            let r = row(a)
            let value = frame.rssi[min(r, frame.rssi.count - 1)]
            if value != 0 { rssLinear += pow(10, Double(value) / 10) }
        }
        guard rssLinear > 0 else { return 1 }
        let noise = (frame.noise == nil || frame.noise == -127) ? -92.0 : Double(frame.noise!)
        let snr = rssLinear / pow(10, noise / 10)
        return (snr / (power / Double(FeatureLayout.subcarriersPerAntenna))).squareRoot()
    }
}

/// Identifies one subcarrier grid (and sub-band choice) for the plan cache.
struct PlanKey: Hashable {
    var device: Int
    var count: Int
    var first: Int
    var last: Int
    var bandwidth: Int
    var subBand: Int
    var legacy: Bool
}
