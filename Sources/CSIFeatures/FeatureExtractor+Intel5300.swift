import CSICapture

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension FeatureExtractor {
    /// The factor `get_scaled_csi` multiplies every Intel 5300 CSI entry by (csi-formats.md §1.5), including the
    /// Ntx = 2/3 correction; 0 for an all-zero frame. Computed in Double over all 30 x Nrx x Ntx entries.
    ///
    /// (Same maths as `Intel5300Scaling.scaleFactor(of:)` in CSICapture; kept here until that lands in main.)
    static func intel5300ScaleFactor(_ frame: CSIFrame) -> Double {
        @inline(__always) func dbinv(_ x: Double) -> Double { pow(10, x / 10) }
        // csi_pwr = sum |H|^2 over all entries
        var power = 0.0
        for i in 0..<frame.real.count {
            let re = Double(frame.real[i]), im = Double(frame.imag[i])
            power += re * re + im * im
        }
        guard power > 0 else { return 0 }
        var rssiMagnitude = 0.0
        for value in frame.rssi where value != 0 { rssiMagnitude += dbinv(Double(value)) }
        let totalRSS = 10 * log10(rssiMagnitude) - 44 - Double(frame.agc ?? 0)
        let scale = dbinv(totalRSS) / (power / 30)
        let noiseDB = (frame.noise == nil || frame.noise == -127) ? -92.0 : Double(frame.noise!)
        let quantization = scale * Double(frame.nrx * frame.ntx)
        var factor = (scale / (dbinv(noiseDB) + quantization)).squareRoot()
        if frame.ntx == 2 {
            factor *= 2.0.squareRoot()
        } else if frame.ntx == 3 {
            factor *= dbinv(4.5).squareRoot()
        }
        return factor
    }
}
