import CSICapture

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Simulator {
    /// RMS of the int16 CSI values that AX210 firmware reports per record: 150-167 in every record of the FeitCSI
    /// example captures (HT20 at 2.45 GHz, VHT80, HE80 and HE160 at 5.5 GHz), whatever the received power (its AGC).
    static let ax210TargetRMS = 155.0

    /// Amplitude of the receiver's band-edge roll-off at the outermost tone, relative to mid-band: the example
    /// captures' mean profiles fall to 0.4-0.65 of the mid-band level at both edges.
    static let ax210EdgeLevel = 0.55

    /// The AX210 report of one measurement as the FeitCSI reader returns it: int16 CSI on the packet's tones for
    /// both chains (tx stream 0), scaled to a fixed RMS by the AGC (decision error `agcJitterDB`), tapered towards
    /// the band edges, pilots 0, RSSI per chain, `mu_clock` / `ftm_clock` from the capture time, an 8-bit CSI
    /// sequence counter and the `rate_n_flags` of the packet format.
    func makeAX210Frame(timestamp: Double, sequence: Int, real: [Double], imag: [Double], power: [Double], rms: Double,
                        random: inout SimulatorRandom) -> CSIFrame {
        let format = config.resolvedPHYFormat
        let layout = format.toneLayout(bandwidthMHz: config.bandwidthMHz) ?? .ht20
        let antennas = power.count
        let tones = layout.indices
        let nsub = tones.count
        let k = Self.ax210TargetRMS / rms * pow(10, config.agcJitterDB * random.gaussian() / 20)
        let pilots = Set(layout.pilots)
        let edge = Double(tones.map(abs).max() ?? 1)
        var outReal = [Float](repeating: 0, count: antennas * nsub)   // (1, 2, nsub)
        var outImag = [Float](repeating: 0, count: antennas * nsub)
        for s in 0..<nsub where !pilots.contains(tones[s]) {
            // receive filter: flat in the middle, down to `ax210EdgeLevel` at the outermost tone
            let x = Double(tones[s]) / edge
            let x2 = x * x
            let gain = k * (1 - (1 - Self.ax210EdgeLevel) * x2 * x2 * x2)
            for a in 0..<antennas {
                let i = a * nsub + s
                outReal[i] = Float(min(max((real[i] * gain).rounded(), -32768), 32767))
                outImag[i] = Float(min(max((imag[i] * gain).rounded(), -32768), 32767))
            }
        }
        // FeitCSI reports -rssi as a positive number per chain (0 = none): keep it in -255...-1 dBm
        let rssi = power.map { min(max(Int($0.rounded()), -255), -1) }
        let muClock = Int((timestamp * 1e6).rounded()) & 0xFFFF_FFFF
        let ftmClock = Int((timestamp * 320e6).rounded()) & 0xFFFF_FFFF     // 3.125 ns ticks
        let extras: [String: Int] = [
            "rate_flags": format.rateFlags(bandwidthMHz: config.bandwidthMHz), "modulation": format.modulationCode,
            "ftm_clock": ftmClock, "mu_clock": muClock, "csi_sequence": sequence & 0xFF, "tone_layout_known": 1,
        ]
        return CSIFrame(timestamp: Double(muClock) * 1e-6, device: .feitCSI,
                        source: CSISourceID(transmitter: transmitter), sequence: nil, rssi: rssi, noise: nil, agc: nil,
                        bandwidthMHz: config.bandwidthMHz, ntx: 1, nrx: antennas, subcarriers: tones,
                        real: outReal, imag: outImag, extras: extras)
    }
}
