import CSICapture

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension FeatureExtractor {
    /// `20 log10 |H|` of the 30 layout subcarriers of every receive chain of `frame` (transmit stream 0), chain-major,
    /// (nrx, 30): the subcarriers `amplitude-db` reads (the same plan: Intel grid as is, other grids picked,
    /// substituted or interpolated), for any number of chains and without scaling to SNR units, so the AGC and the
    /// transmitter's power stay visible. A zero magnitude gives `-infinity`. What `csihar plot` draws per chain.
    public func chainAmplitudesDB(_ frame: CSIFrame) throws(FeatureError) -> [Float] {
        let (plan, _) = try checkChainGrid(frame)
        let subcarriers = FeatureLayout.subcarriersPerAntenna
        var out = [Float](repeating: 0, count: frame.nrx * subcarriers)
        frame.real.withUnsafeBufferPointer { re in
            frame.imag.withUnsafeBufferPointer { im in
                for a in 0..<frame.nrx {
                    let base = frame.index(tx: 0, rx: a, subcarrier: 0)
                    for s in 0..<subcarriers {
                        let value = plan.magnitude(s, base: base, real: re, imag: im)
                        out[a * subcarriers + s] = value > 0 ? Float(20 * log10(value)) : -.infinity
                    }
                }
            }
        }
        return out
    }
}
