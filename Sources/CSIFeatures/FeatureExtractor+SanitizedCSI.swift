import CSICapture
import Foundation

extension FeatureExtractor {
    /// Floats per measurement of ``extractSanitizedCSI(_:into:)``: (30 subcarriers, re/im) of receive chain 0.
    public static let sanitizedFeatures = FeatureLayout.subcarriersPerAntenna * 2

    /// Writes the phase-sanitised CSI of receive chain 0 of `frame` into `out` (at least ``sanitizedFeatures``
    /// floats), (subcarrier, re/im) row-major, on the 30 layout subcarriers of transmit stream 0 (the `amplitude-db`
    /// plan; wideband plans interpolate the complex neighbours):
    ///
    /// 1. the per-packet delay slope `b = arg(sum H[k + g] conj(H[k])) / g` over the plan's neighbouring columns `k`
    ///    that are `g` tones apart, `g` the most common such distance (the smallest on a tie): detection delay and
    ///    sampling offset turn every packet's phase by a random line across subcarriers;
    /// 2. `V[s] = H[s] exp(-j b k_s)` at each layout subcarrier's tone position `k_s`, then the common phase
    ///    `c = arg(sum_s V[s])` (carrier offset, PLL) and the gain `g = sqrt(mean_s |V[s]|^2)` (AGC) removed:
    ///    `Q[s] = V[s] exp(-j c) / g`.
    ///
    /// One receive chain is enough: what a line across subcarriers cannot hold (a moving person's path beating
    /// against the static paths, with the sign of its Doppler) is kept. A frame whose entries are all zero gives
    /// zeros. No allocation once the grid's plan is built.
    @discardableResult
    public func extractSanitizedCSI(_ frame: CSIFrame, into out: UnsafeMutableBufferPointer<Float>) throws(FeatureError) -> FeatureFlags {
        guard out.count >= Self.sanitizedFeatures else {
            throw .malformedFrame(device: frame.device.description,
                                  reason: "output holds \(out.count) < \(Self.sanitizedFeatures) values")
        }
        let (plan, flags) = try checkAmplitudeSeries(frame)
        let subcarriers = FeatureLayout.subcarriersPerAntenna
        let tones = frame.subcarriers
        frame.real.withUnsafeBufferPointer { re in
            frame.imag.withUnsafeBufferPointer { im in
                let base = frame.index(tx: 0, rx: 0, subcarrier: 0)
                // 1. the delay slope from neighbouring plan columns: pairs (lower[s], upper[s]) and
                //    (upper[s], lower[s + 1]), 2 * 30 - 1 at most, their tone distance first
                let gap = Self.commonGap(plan, tones)
                var sr = 0.0, si = 0.0
                if gap > 0 {
                    @inline(__always) func add(_ a: Int, _ b: Int) {
                        guard tones[b] - tones[a] == gap else { return }
                        let ar = Double(re[base + a]), ai = Double(im[base + a])
                        let br = Double(re[base + b]), bi = Double(im[base + b])
                        sr += br * ar + bi * ai           // b conj(a)
                        si += bi * ar - br * ai
                    }
                    for s in 0..<subcarriers {
                        add(plan.lower[s], plan.upper[s])
                        if s + 1 < subcarriers { add(plan.upper[s], plan.lower[s + 1]) }
                    }
                }
                let slope = (sr == 0 && si == 0) || gap == 0 ? 0 : atan2(si, sr) / Double(gap)
                // 2. V[s] = H[s] exp(-j slope k_s), their sum and power
                var cr = 0.0, ci = 0.0, power = 0.0
                for s in 0..<subcarriers {
                    let l = base + plan.lower[s], u = base + plan.upper[s]
                    let w = Double(plan.weight[s])
                    var hr = Double(re[l]), hi = Double(im[l])
                    var position = Double(tones[plan.lower[s]])
                    if w != 0 {
                        hr = (1 - w) * hr + w * Double(re[u])
                        hi = (1 - w) * hi + w * Double(im[u])
                        position = (1 - w) * position + w * Double(tones[plan.upper[s]])
                    }
                    let angle = -slope * position
                    let (cs, sn) = (cos(angle), sin(angle))
                    let vr = hr * cs - hi * sn, vi = hr * sn + hi * cs
                    out[2 * s] = Float(vr)
                    out[2 * s + 1] = Float(vi)
                    cr += vr
                    ci += vi
                    power += vr * vr + vi * vi
                }
                let rms = (power / Double(subcarriers)).squareRoot()
                let magnitude = (cr * cr + ci * ci).squareRoot()
                guard rms > 0 else {
                    for f in 0..<Self.sanitizedFeatures { out[f] = 0 }
                    return
                }
                // exp(-j c) / g, with exp(-j c) = conj(sum) / |sum| (1 when the sum is 0)
                let (ur, ui) = magnitude > 0 ? (cr / magnitude / rms, -ci / magnitude / rms) : (1 / rms, 0)
                for s in 0..<subcarriers {
                    let vr = Double(out[2 * s]), vi = Double(out[2 * s + 1])
                    out[2 * s] = Float(vr * ur - vi * ui)
                    out[2 * s + 1] = Float(vr * ui + vi * ur)
                }
            }
        }
        return flags
    }

    /// The most common tone distance between neighbouring columns of `plan` (pairs `(lower[s], upper[s])` and
    /// `(upper[s], lower[s + 1])`, positive distances only; the smallest on a tie), 0 when there is none.
    static func commonGap(_ plan: SubcarrierPlan, _ tones: [Int]) -> Int {
        let count = plan.lower.count
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 * count) { gaps -> Int in
            var n = 0
            for s in 0..<count {
                let inside = tones[plan.upper[s]] - tones[plan.lower[s]]
                if inside > 0 { gaps[n] = inside; n += 1 }
                if s + 1 < count {
                    let between = tones[plan.lower[s + 1]] - tones[plan.upper[s]]
                    if between > 0 { gaps[n] = between; n += 1 }
                }
            }
            var best = 0, bestCount = 0
            for i in 0..<n {
                var c = 0
                for j in 0..<n where gaps[j] == gaps[i] { c += 1 }
                if c > bestCount || (c == bestCount && gaps[i] < best) { best = gaps[i]; bestCount = c }
            }
            return best
        }
    }
}
