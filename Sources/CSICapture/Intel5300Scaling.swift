#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Intel 5300 CSI in SNR units: `get_total_rss` and `get_scaled_csi` of the CSI Tool's MATLAB scripts
/// (csi-formats.md §1.5). Computed in Double, stored as Float.
public enum Intel5300Scaling {
    /// `10^(x/10)`.
    @inline(__always)
    public static func dbinv(_ x: Double) -> Double { pow(10, x / 10) }

    /// Total received power in dBm: `10 log10(sum of dbinv(rssi_x) over nonzero rssi) - 44 - agc`.
    public static func totalRSS(rssi: [Int], agc: Int) -> Double {
        var magnitude = 0.0
        for value in rssi where value != 0 { magnitude += dbinv(Double(value)) }
        return 10 * log10(magnitude) - 44 - Double(agc)
    }

    /// Total received power of an Intel 5300 frame (`get_total_rss`); uses `frame.rssi` and `frame.agc`.
    public static func totalRSS(of frame: CSIFrame) -> Double {
        totalRSS(rssi: frame.rssi, agc: frame.agc ?? 0)
    }

    /// The factor `get_scaled_csi` multiplies every CSI entry by, including the Ntx = 2/3 correction.
    /// Returns 0 when the frame carries no CSI power (all-zero CSI).
    public static func scaleFactor(of frame: CSIFrame) -> Double {
        // csi_pwr = sum |H|^2 over all 30 * Nrx * Ntx entries
        var power = 0.0
        for i in 0..<frame.real.count {
            let re = Double(frame.real[i]), im = Double(frame.imag[i])
            power += re * re + im * im
        }
        guard power > 0 else { return 0 }
        let rssPower = dbinv(totalRSS(of: frame))
        let scale = rssPower / (power / 30)
        var noiseDB = -92.0   // MATLAB: noise -127 (unknown, monitor mode) -> -92 dBm
        if let noise = frame.noise, noise != -127 { noiseDB = Double(noise) }
        let thermalNoise = dbinv(noiseDB)
        let quantizationError = scale * Double(frame.nrx * frame.ntx)
        var factor = (scale / (thermalNoise + quantizationError)).squareRoot()
        if frame.ntx == 2 {
            factor *= 2.0.squareRoot()
        } else if frame.ntx == 3 {
            factor *= dbinv(4.5).squareRoot()
        }
        return factor
    }

    /// The frame with its CSI multiplied by ``scaleFactor(of:)`` (`get_scaled_csi`); other fields unchanged,
    /// `extras["scaled"] = 1`.
    public static func scaled(_ frame: CSIFrame) -> CSIFrame {
        var result = frame
        scale(&result)
        return result
    }

    /// Scales the frame's CSI in place (`get_scaled_csi`).
    public static func scale(_ frame: inout CSIFrame) {
        let factor = scaleFactor(of: frame)
        for i in 0..<frame.real.count {
            frame.real[i] = Float(Double(frame.real[i]) * factor)
            frame.imag[i] = Float(Double(frame.imag[i]) * factor)
        }
        frame.extras["scaled"] = 1
    }
}
