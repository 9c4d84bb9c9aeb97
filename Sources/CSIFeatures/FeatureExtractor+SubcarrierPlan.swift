import CSICapture

extension FeatureExtractor {
    /// The cached plan for `frame`'s grid, building it on first use. Runs for every frame: the device's name is
    /// formatted only for an error.
    func plan(for frame: CSIFrame) throws(FeatureError) -> SubcarrierPlan {
        // The Intel 5300's own grid (checked first, without copying anything: this runs for every frame).
        if frame.device == .intel5300 {
            guard frame.subcarriers.count == 30 else {
                throw .unsupportedSubcarriers(device: frame.device.description,
                                              reason: "Intel 5300 frame with \(frame.subcarriers.count) subcarriers")
            }
            // the two Intel grids differ from their first index on (-28 and -58)
            return Self.intelGridPlan(fortyMHz: frame.bandwidthMHz == 40 || frame.subcarriers[0] == -58)
        }
        let subcarriers = frame.subcarriers
        // A frame already on the Intel grid (simulator) maps one to one.
        if subcarriers.count == 30
            && (subcarriers == FeatureLayout.intelSubcarriers20MHz || subcarriers == FeatureLayout.intelSubcarriers40MHz) {
            return Self.intelGridPlan(fortyMHz: frame.bandwidthMHz == 40 || subcarriers == FeatureLayout.intelSubcarriers40MHz)
        }

        let legacy = frame.device == .esp32 && frame.extras["sig_mode"] == 0
        let subBand = frame.bandwidthMHz > 20 ? activeSubBand(frame) : -1
        let key = PlanKey(device: deviceTag(frame.device), count: subcarriers.count, first: subcarriers.first ?? 0,
                          last: subcarriers.last ?? 0, bandwidth: frame.bandwidthMHz, subBand: subBand, legacy: legacy)
        if let plan = plans[key] { return plan }

        let plan: SubcarrierPlan?
        let isNexmon: Bool
        if case .nexmon = frame.device { isNexmon = true } else { isNexmon = false }
        // HE frames index HE tones (78.125 kHz apart): legacy index k is HE tone 4k, so every legacy target,
        // band edge and sub-band centre is scaled by `scale` and the layout covers the same frequencies.
        let scale = toneScale(frame)
        // AX200/AX210 (FeitCSI, PicoScenes) report their pilot tones as 0: never read a pilot.
        let pilots = pilotTones(frame)
        if frame.bandwidthMHz <= 20 {
            // 20 MHz: used band +-1..+-28 (+-26 for legacy 11a/g). ESP32 frames carry the LLTF block (a legacy
            // training field): +-27/+-28 are guards there. Nexmon reports legacy and HT packets alike
            // (``legacyPacketEdge``; its firmware also overwrites +28, §2.4), so both read +-26 at most.
            // HE 20 MHz: tones +-2..+-122 (legacy +-0.5..+-30.5), so the Intel set is there exactly (x4).
            let legacyBand = frame.device == .esp32 || isNexmon
            plan = SubcarrierPlan.exact(targets: FeatureLayout.intelSubcarriers20MHz.map { $0 * scale },
                                        subcarriers: subcarriers) { k in
                let inBand: Bool
                if scale > 1 {
                    inBand = (2...122).contains(abs(k))
                } else {
                    inBand = legacyBand ? (1...Self.legacyPacketEdge).contains(abs(k)) : k != 0
                }
                return inBand && !pilots.contains(k)
            }
        } else if subBand >= 0 {
            // A 20 MHz frame inside a wider channel: the Intel set around that sub-band's centre, +-26 at most
            // (the packet may be legacy 11a/g, ``legacyPacketEdge``; HE tones reach +-122 and keep +-28 x 4).
            let centre = OFDMToneLayout.subBandCentre(bandwidthMHz: frame.bandwidthMHz, index: subBand) * scale
            let edge = scale > 1 ? 28 * scale : Self.legacyPacketEdge
            plan = SubcarrierPlan.exact(targets: FeatureLayout.intelSubcarriers20MHz.map { $0 * scale + centre },
                                        subcarriers: subcarriers) { k in
                (scale...edge).contains(abs(k - centre)) && !pilots.contains(k)
            }
            .map { $0.adding(.subBand) }
        } else {
            // Full wideband frame: nulls at DC (+-1), guards at the edges, Nexmon overwrites bins 0..2. HE: the
            // occupied tones +-3..+-244 (40 MHz), +-3..+-500 (80 MHz), +-12..+-1012 (160 MHz).
            let edge: Int, inner: Int
            if scale > 1 {
                edge = frame.bandwidthMHz * 64 / 10 - (frame.bandwidthMHz >= 40 ? 12 : 6)
                inner = 3
            } else {
                edge = frame.bandwidthMHz * 16 / 10 - 6          // 58 (40 MHz), 122 (80 MHz), 250 (160 MHz)
                inner = 2
            }
            let usable: (Int) -> Bool = { k in
                (inner...edge).contains(abs(k)) && !(isNexmon && NexmonPayloadDecoder.widebandPhyStatusSubcarriers.contains(k))
                    && !pilots.contains(k)
            }
            if frame.bandwidthMHz == 40 {
                plan = SubcarrierPlan.exact(targets: FeatureLayout.intelSubcarriers40MHz.map { $0 * scale },
                                            subcarriers: subcarriers, usable: usable)
            } else {
                plan = SubcarrierPlan.interpolated(first: -edge, last: edge, subcarriers: subcarriers, usable: usable)
            }
        }
        guard let plan else {
            throw .unsupportedSubcarriers(device: frame.device.description, reason: "grid of \(subcarriers.count) subcarriers "
                                          + "(\(subcarriers.first ?? 0)...\(subcarriers.last ?? 0)) at \(frame.bandwidthMHz) MHz")
        }
        plans[key] = plan
        return plan
    }

    /// The outermost tone read from a 20 MHz packet whose format the frame does not say (Nexmon; a 20 MHz packet
    /// inside a wider capture grid): legacy 11a/g packets use +-1..+-26 and HT packets +-1..+-28, and a receiver
    /// hears both. Tones +-27/+-28 of a legacy packet are zero: read them and one packet in ten (a real Raspberry Pi
    /// recording of Fition, user 3: 11-12% legacy packets) drops 3 of the 30 layout subcarriers by 40 dB, which the
    /// Doppler inputs see as broadband motion. So the layout's -28, +27, +28 are read from -26 and +26 on every packet.
    static let legacyPacketEdge = 26

    /// 4 when `frame`'s subcarrier indices are HE tones (78.125 kHz apart), else 1: an index beyond twice the
    /// legacy FFT half-width (64, 128, 256, 512 at 20-160 MHz) can only be an HE tone (HE 20 MHz reaches 122,
    /// 40 MHz 244, 80 MHz 500, 160 MHz 1012; legacy grids at most 32, 64, 128, 256).
    func toneScale(_ frame: CSIFrame) -> Int {
        let reach = max(abs(frame.subcarriers.first ?? 0), abs(frame.subcarriers.last ?? 0))
        return reach > max(frame.bandwidthMHz, 20) * 16 / 10 * 2 ? 4 : 1
    }

    /// The pilot tones of an AX200/AX210 frame (FeitCSI, PicoScenes) whose grid is an 802.11 tone set
    /// (``OFDMToneLayout``); empty for every other frame.
    func pilotTones(_ frame: CSIFrame) -> Set<Int> {
        switch frame.device {
        case .feitCSI, .picoScenes: break
        default: return []
        }
        guard let layout = OFDMToneLayout.layout(bandwidthMHz: frame.bandwidthMHz, tones: frame.nsub),
              layout.indices == frame.subcarriers else { return [] }
        return Set(layout.pilots)
    }

    /// The 20 MHz sub-band of `frame` to read the layout from, or -1 for the whole band. A stream enters a sub-band
    /// when one holds at least ``FeatureOptions/subBandEnergyFraction`` of a frame's energy and stays in it while
    /// it holds at least ``subBandKeepFraction`` (hysteresis): a Raspberry Pi capturing 20 MHz packets in an
    /// 80 MHz channel has 1-13% of its packets below 0.9 (real Fition recordings), and every switch to the
    /// interpolated whole band would read other subcarriers and show as a burst of motion; full 80 MHz packets
    /// stay below 0.8 (simulated, p99.9 0.72).
    /// The bins Nexmon firmware overwrites with PhyRxStatus (0, +1, +2 of a wideband grid) are not CSI and are left
    /// out: their values can hold most of a packet's "energy" and would pin every frame to the sub-band above DC.
    func activeSubBand(_ frame: CSIFrame) -> Int {
        let (band, fraction) = strongestSubBand(frame)
        if heldSubBand >= 0, band == heldSubBand, fraction >= Self.subBandKeepFraction { return band }
        heldSubBand = band >= 0 && fraction >= options.subBandEnergyFraction ? band : -1
        return heldSubBand
    }

    /// Fraction of a frame's energy that keeps a stream in the sub-band it entered (see ``activeSubBand(_:)``).
    static let subBandKeepFraction = 0.5

    /// The 20 MHz sub-band with the most of `frame`'s energy and its fraction of it; (-1, 0) when there is none.
    func strongestSubBand(_ frame: CSIFrame) -> (band: Int, fraction: Double) {
        let count = frame.bandwidthMHz / 20
        guard count >= 2, count <= 8 else { return (-1, 0) }
        let scale = toneScale(frame)
        let shift = scale > 1 ? 8 : 6           // 64 legacy tones (256 HE tones) per 20 MHz sub-band
        let phyStatus: Range<Int>
        if case .nexmon = frame.device { phyStatus = NexmonPayloadDecoder.widebandPhyStatusSubcarriers } else { phyStatus = 0..<0 }
        // energy per sub-band, (count,) on the stack
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { energy -> (band: Int, fraction: Double) in
            for i in 0..<count { energy[i] = 0 }
            var total = 0.0
            let low = -frame.bandwidthMHz * 16 / 10 * scale
            frame.real.withUnsafeBufferPointer { re in
                frame.imag.withUnsafeBufferPointer { im in
                    for r in 0..<frame.nrx {
                        let base = frame.index(tx: 0, rx: r, subcarrier: 0)
                        for (c, k) in frame.subcarriers.enumerated() {
                            let band = (k - low) >> shift
                            guard band >= 0, band < count, !phyStatus.contains(k) else { continue }
                            let p = Double(re[base + c]) * Double(re[base + c]) + Double(im[base + c]) * Double(im[base + c])
                            energy[band] += p
                            total += p
                        }
                    }
                }
            }
            guard total > 0 else { return (-1, 0) }
            var best = 0
            for i in 1..<count where energy[i] > energy[best] { best = i }
            return (best, energy[best] / total)
        }
    }

    /// The identity plan of a frame on one of the Intel 5300's grids, flagged when it is the 40 MHz one.
    private static func intelGridPlan(fortyMHz: Bool) -> SubcarrierPlan {
        fortyMHz ? SubcarrierPlan.identity40MHz : SubcarrierPlan.identity
    }

    private func deviceTag(_ device: CSIDevice) -> Int {
        switch device {
        case .intel5300: return 0
        case let .nexmon(chip): return 1000 + Int(chip)
        case .esp32: return 1
        case .atheros: return 2
        case .simulated: return 3
        case let .picoScenes(deviceType): return 2000 + Int(deviceType)
        case .feitCSI: return 4
        }
    }
}
