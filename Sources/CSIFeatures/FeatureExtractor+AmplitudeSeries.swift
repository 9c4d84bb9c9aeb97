import CSICapture

extension FeatureExtractor {
    /// Receive chains the `amplitude-doppler` input reads (chains beyond it are ignored, missing ones left zero).
    public static let amplitudeSeriesChains = 3
    /// Floats per measurement of ``extractAmplitudeSeries(_:into:)``: (chains, 30 subcarriers, re/im) with the
    /// imaginary part zero, the shape the spectrum stage takes.
    public static let amplitudeSeriesFeatures = amplitudeSeriesChains * FeatureLayout.subcarriersPerAntenna * 2

    /// Writes the gain-normalised amplitudes of `frame` into `out` (at least ``amplitudeSeriesFeatures`` floats),
    /// (chain, subcarrier, re/im) row-major with im = 0: `A[a, s] = |H[a, s]| / sqrt(mean_{a, s} |H[a, s]|^2)`
    /// over the frame's first `min(nrx, 3)` chains and the 30 layout subcarriers of transmit stream 0 (magnitudes
    /// between subcarriers interpolated as in `amplitude-db`); missing chains stay zero.
    ///
    /// Dividing by the frame's own RMS cancels the gain common to the whole frame (AGC steps, RSSI scaling, the
    /// transmitter's power): what is left is the shape of the channel across subcarriers and chains, which a moving
    /// person modulates at the path-length Doppler rate. Phase is not used, so one receive chain is enough (the
    /// Raspberry Pi's Nexmon, an ESP32). A frame whose selected entries are all zero gives zeros. No allocation
    /// once the grid's plan is built.
    @discardableResult
    public func extractAmplitudeSeries(_ frame: CSIFrame, into out: UnsafeMutableBufferPointer<Float>) throws(FeatureError) -> FeatureFlags {
        try requireOutput(out, Self.amplitudeSeriesFeatures, for: frame)
        let (plan, flags) = try checkChainGrid(frame)
        let subcarriers = FeatureLayout.subcarriersPerAntenna
        let chains = min(frame.nrx, Self.amplitudeSeriesChains)
        var power = 0.0
        frame.real.withUnsafeBufferPointer { re in
            frame.imag.withUnsafeBufferPointer { im in
                for a in 0..<Self.amplitudeSeriesChains {
                    let base = a < chains ? frame.index(tx: 0, rx: a, subcarrier: 0) : 0
                    for s in 0..<subcarriers {
                        let o = 2 * (a * subcarriers + s)
                        out[o + 1] = 0
                        guard a < chains else { out[o] = 0; continue }
                        let value = plan.magnitude(s, base: base, real: re, imag: im)
                        power += value * value
                        out[o] = Float(value)
                    }
                }
            }
        }
        let rms = (power / Double(chains * subcarriers)).squareRoot()
        let scale = rms > 0 ? 1 / rms : 0
        for a in 0..<chains {
            for s in 0..<subcarriers {
                let o = 2 * (a * subcarriers + s)
                out[o] = Float(Double(out[o]) * scale)
            }
        }
        return flags
    }

    /// Checks that `frame`'s shape and subcarrier grid can be read (any number of receive chains will do) and returns
    /// its plan: the check of every transform that reads chains one by one (amplitude series, sanitised CSI).
    func checkChainGrid(_ frame: CSIFrame) throws(FeatureError) -> (plan: SubcarrierPlan, flags: FeatureFlags) {
        var flags = try checkShape(frame)
        let plan = try plan(for: frame)
        flags.formUnion(plan.flags)
        return (plan, flags)
    }
}
