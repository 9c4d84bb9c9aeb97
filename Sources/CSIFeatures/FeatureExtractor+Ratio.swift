import CSICapture

extension FeatureExtractor {
    /// Receive-chain pairs of the CSI ratio: antennas 1 and 2 over antenna 0.
    public static let ratioPairs = 2
    /// Floats per measurement of ``extractRatio(_:into:)``: (pairs, 30 subcarriers, re/im).
    public static let ratioFeatures = ratioPairs * FeatureLayout.subcarriersPerAntenna * 2

    /// Writes the CSI ratio between receive chains of `frame` into `out` (at least ``ratioFeatures`` floats),
    /// (pair, subcarrier, re/im) row-major: `R[p, s] = H[p + 1, s] conj(H[0, s]) / (|H[0, s]|^2 + eps)` on the
    /// 30 layout subcarriers of transmit stream 0, with `eps = 1e-6 * mean_s |H[0, s]|^2` (a null on the reference
    /// chain cannot blow up the ratio).
    ///
    /// The per-packet phase (CFO, SFO, detection delay) and gain (AGC) common to all chains cancel, so does a
    /// constant per-chain offset once the static part is removed (``DopplerSpectrum``). A frame with 2 receive
    /// chains fills pair 0 and leaves pair 1 zero; a frame with 1 chain cannot make a ratio and throws
    /// ``FeatureError/tooFewChainsForRatio(device:available:)``. Entries between subcarriers (wideband plans) are the
    /// linear interpolation of the complex neighbours. No allocation once the grid's plan is built.
    @discardableResult
    public func extractRatio(_ frame: CSIFrame, into out: UnsafeMutableBufferPointer<Float>) throws(FeatureError) -> FeatureFlags {
        try requireOutput(out, Self.ratioFeatures, for: frame)
        let (plan, flags) = try checkRatio(frame)
        let subcarriers = FeatureLayout.subcarriersPerAntenna
        frame.real.withUnsafeBufferPointer { re in
            frame.imag.withUnsafeBufferPointer { im in
                // complex H at the planned subcarrier s of receive chain a (tx 0)
                @inline(__always) func value(_ a: Int, _ s: Int) -> (Double, Double) {
                    plan.complexValue(s, base: frame.index(tx: 0, rx: a, subcarrier: 0), real: re, imag: im)
                }
                var referencePower = 0.0
                for s in 0..<subcarriers {
                    let (r, i) = value(0, s)
                    referencePower += r * r + i * i
                }
                let eps = 1e-6 * referencePower / Double(subcarriers) + Double.leastNormalMagnitude
                for p in 0..<Self.ratioPairs {
                    let chain = p + 1
                    for s in 0..<subcarriers {
                        let o = 2 * (p * subcarriers + s)
                        guard chain < frame.nrx else { out[o] = 0; out[o + 1] = 0; continue }
                        let (br, bi) = value(0, s), (ar, ai) = value(chain, s)
                        let scale = 1 / (br * br + bi * bi + eps)
                        // a conj(b) / (|b|^2 + eps)
                        out[o] = Float((ar * br + ai * bi) * scale)
                        out[o + 1] = Float((ai * br - ar * bi) * scale)
                    }
                }
            }
        }
        return flags
    }

    /// Checks that `frame` can supply a CSI ratio (shape, at least 2 chains, grid) and returns its plan.
    func checkRatio(_ frame: CSIFrame) throws(FeatureError) -> (plan: SubcarrierPlan, flags: FeatureFlags) {
        var flags = try checkShape(frame)
        guard frame.nrx >= 2 else {
            throw .tooFewChainsForRatio(device: frame.device.description, available: frame.nrx)
        }
        let plan = try plan(for: frame)
        flags.formUnion(plan.flags)
        return (plan, flags)
    }
}
