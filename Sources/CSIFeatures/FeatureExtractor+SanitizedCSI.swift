import CSICapture
import Foundation

extension FeatureExtractor {
    /// Floats per measurement of ``extractSanitizedCSI(_:into:)``: (30 subcarriers, re/im) of receive chain 0.
    public static let sanitizedFeatures = FeatureLayout.subcarriersPerAntenna * 2

    /// Writes the phase-sanitised CSI of receive chain 0 of `frame` into `out` (at least ``sanitizedFeatures``
    /// floats), (subcarrier, re/im) row-major, on the 30 layout subcarriers of transmit stream 0 (the `amplitude-db`
    /// plan; wideband plans interpolate the complex neighbours):
    ///
    /// 1. the per-packet delay slope `b` (``delaySlope(_:_:base:real:imag:)``) over every usable tone of the grid:
    ///    detection delay and sampling offset turn every packet's phase by a random line across subcarriers;
    /// 2. `V[s] = H[s] exp(-j b k_s)` at each layout subcarrier's tone position `k_s`, then the common phase
    ///    `c = arg(sum_s V[s])` (carrier offset, PLL) and the gain `g = sqrt(mean_s |V[s]|^2)` (AGC) removed:
    ///    `Q[s] = V[s] exp(-j c) / g`.
    ///
    /// One receive chain is enough: what a line across subcarriers cannot hold (a moving person's path beating
    /// against the static paths, with the sign of its Doppler) is kept. A frame whose entries are all zero gives
    /// zeros. No allocation once the grid's plan is built.
    @discardableResult
    public func extractSanitizedCSI(_ frame: CSIFrame, into out: UnsafeMutableBufferPointer<Float>) throws(FeatureError) -> FeatureFlags {
        try requireOutput(out, Self.sanitizedFeatures, for: frame)
        let (plan, flags) = try checkChainGrid(frame)
        let subcarriers = FeatureLayout.subcarriersPerAntenna
        let tones = frame.subcarriers
        frame.real.withUnsafeBufferPointer { re in
            frame.imag.withUnsafeBufferPointer { im in
                let base = frame.index(tx: 0, rx: 0, subcarrier: 0)
                // 1. the delay slope, refined over growing lags across every usable column
                let slope = Self.delaySlope(plan.phaseColumns, tones, base: base, real: re, imag: im)
                // 2. V[s] = H[s] exp(-j slope k_s), (subcarriers, re/im) in doubles, their sum and power
                withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * subcarriers) { v in
                    var cr = 0.0, ci = 0.0, power = 0.0
                    for s in 0..<subcarriers {
                        let (hr, hi) = plan.complexValue(s, base: base, real: re, imag: im)
                        let angle = -slope * plan.position(s, tones: tones)
                        let (cs, sn) = (cos(angle), sin(angle))
                        let vr = hr * cs - hi * sn, vi = hr * sn + hi * cs
                        v[2 * s] = vr
                        v[2 * s + 1] = vi
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
                        let vr = v[2 * s], vi = v[2 * s + 1]
                        out[2 * s] = Float(vr * ur - vi * ui)
                        out[2 * s + 1] = Float(vr * ui + vi * ur)
                    }
                }
            }
        }
        return flags
    }

    /// Lags of the delay-slope stages, in multiples of the grid's common spacing.
    static let slopeLags = [1, 4, 16]

    /// The packet's delay slope (rad per tone) from the usable `columns` (ascending by tone) of one chain: with `g`
    /// the most common distance between neighbouring columns, for each lag `L` of ``slopeLags`` times `g`,
    /// `b += arg(sum_k H[k + L] conj(H[k]) exp(-j b L)) / L` over the column pairs exactly `L` tones apart (`b` = 0
    /// at first). The first lag cannot wrap (the slope is below 0.2 rad per tone); each longer lag only corrects
    /// what is left, with a longer lever arm, so the noise of the estimate falls about as `1 / L`. A lag with fewer
    /// than `max(2, n / 4)` pairs ends the refinement.
    static func delaySlope(_ columns: [Int], _ tones: [Int], base: Int,
                           real re: UnsafeBufferPointer<Float>, imag im: UnsafeBufferPointer<Float>) -> Double {
        let n = columns.count
        guard n >= 2 else { return 0 }
        // the most common distance between neighbouring columns, counted up to 8 (else the smallest)
        var smallest = Int.max
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 9) { c in     // c[d]: neighbours d tones apart
            c.initialize(repeating: 0)
            for i in 1..<n {
                let d = tones[columns[i]] - tones[columns[i - 1]]
                if d > 0 { smallest = min(smallest, d); if d <= 8 { c[d] += 1 } }
            }
            var best = 0
            for d in 1...8 where c[d] > (best == 0 ? 0 : c[best]) { best = d }
            if best > 0 { smallest = best }
        }
        guard smallest != Int.max else { return 0 }
        var slope = 0.0
        for multiple in slopeLags {
            let lag = multiple * smallest
            var zr = 0.0, zi = 0.0, pairs = 0, j = 0
            for i in 0..<n {
                let target = tones[columns[i]] + lag
                while j < n && tones[columns[j]] < target { j += 1 }
                if j == n { break }
                guard tones[columns[j]] == target else { continue }
                let a = base + columns[i], b = base + columns[j]
                let ar = Double(re[a]), ai = Double(im[a]), br = Double(re[b]), bi = Double(im[b])
                zr += br * ar + bi * ai            // H[k + L] conj(H[k])
                zi += bi * ar - br * ai
                pairs += 1
            }
            guard pairs >= max(2, n / 4), zr != 0 || zi != 0 else { break }
            let turn = -slope * Double(lag)          // Z exp(-j b L)
            let (c, s) = (cos(turn), sin(turn))
            slope += atan2(zr * s + zi * c, zr * c - zi * s) / Double(lag)
        }
        return slope
    }
}
