import CSICapture

extension FeatureExtractor {
    /// The cached plan for `frame`'s grid, building it on first use.
    func plan(for frame: CSIFrame) throws(FeatureError) -> SubcarrierPlan {
        let device = frame.device.description
        let subcarriers = frame.subcarriers
        // A frame already on the Intel grid (Intel 5300, simulator) maps one to one.
        if frame.device == .intel5300 || (subcarriers.count == 30
            && (subcarriers == FeatureLayout.intelSubcarriers20MHz || subcarriers == FeatureLayout.intelSubcarriers40MHz)) {
            guard subcarriers.count == 30 else {
                throw .unsupportedSubcarriers(device: device, reason: "Intel 5300 frame with \(subcarriers.count) subcarriers")
            }
            var plan = SubcarrierPlan.identity
            if frame.bandwidthMHz == 40 || subcarriers == FeatureLayout.intelSubcarriers40MHz { plan.flags.insert(.grid40MHz) }
            return plan
        }

        let legacy = frame.device == .esp32 && frame.extras["sig_mode"] == 0
        let subBand = frame.bandwidthMHz > 20 ? activeSubBand(frame) : -1
        let key = PlanKey(device: deviceTag(frame.device), count: subcarriers.count, first: subcarriers.first ?? 0,
                          last: subcarriers.last ?? 0, bandwidth: frame.bandwidthMHz, subBand: subBand, legacy: legacy)
        if let plan = plans[key] { return plan }

        let plan: SubcarrierPlan?
        let isNexmon: Bool
        if case .nexmon = frame.device { isNexmon = true } else { isNexmon = false }
        if frame.bandwidthMHz <= 20 {
            // 20 MHz: used band +-1..+-28 (+-26 for legacy 11a/g); Nexmon firmware overwrites +28 (§2.4).
            // ESP32 frames carry the LLTF block (a legacy training field): +-27/+-28 are guards there.
            let edge = (legacy || frame.device == .esp32) ? 26 : 28
            plan = SubcarrierPlan.exact(targets: FeatureLayout.intelSubcarriers20MHz, subcarriers: subcarriers) { k in
                let inBand = (frame.device == .esp32 || isNexmon) ? (1...edge).contains(abs(k)) : k != 0
                return inBand && !(isNexmon && k == 28)
            }
        } else if subBand >= 0 {
            // A 20 MHz frame inside a wider channel: the Intel set around that sub-band's centre.
            let centre = subBandCentre(bandwidth: frame.bandwidthMHz, index: subBand)
            plan = SubcarrierPlan.exact(targets: FeatureLayout.intelSubcarriers20MHz.map { $0 + centre },
                                        subcarriers: subcarriers) { k in (1...28).contains(abs(k - centre)) }
            .map { var p = $0; p.flags.insert(.subBand); return p }
        } else {
            // Full wideband frame: nulls at DC (+-1), guards at the edges, Nexmon overwrites bins 0..2.
            let edge = frame.bandwidthMHz * 16 / 10 - 6          // 58 (40 MHz), 122 (80 MHz), 250 (160 MHz)
            let usable: (Int) -> Bool = { k in (2...edge).contains(abs(k)) && !(isNexmon && k == 2) }
            if frame.bandwidthMHz == 40 {
                plan = SubcarrierPlan.exact(targets: FeatureLayout.intelSubcarriers40MHz, subcarriers: subcarriers,
                                            usable: usable)
            } else {
                plan = SubcarrierPlan.interpolated(first: -edge, last: edge, subcarriers: subcarriers, usable: usable)
            }
        }
        guard let plan else {
            throw .unsupportedSubcarriers(device: device, reason: "grid of \(subcarriers.count) subcarriers "
                                          + "(\(subcarriers.first ?? 0)...\(subcarriers.last ?? 0)) at \(frame.bandwidthMHz) MHz")
        }
        plans[key] = plan
        return plan
    }

    /// Centre subcarrier of 20 MHz sub-band `index` (0 = lowest) of a `bandwidth` MHz channel: -32/+32 at 40 MHz,
    /// -96/-32/+32/+96 at 80 MHz.
    func subBandCentre(bandwidth: Int, index: Int) -> Int {
        -bandwidth * 16 / 10 + 32 + 64 * index
    }

    /// The 20 MHz sub-band holding at least ``FeatureOptions/subBandEnergyFraction`` of the frame's energy, or -1.
    func activeSubBand(_ frame: CSIFrame) -> Int {
        let count = frame.bandwidthMHz / 20
        guard count >= 2, count <= 8 else { return -1 }
        // energy per sub-band, (count,) on the stack
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { energy -> Int in
            for i in 0..<count { energy[i] = 0 }
            var total = 0.0
            let low = -frame.bandwidthMHz * 16 / 10
            frame.real.withUnsafeBufferPointer { re in
                frame.imag.withUnsafeBufferPointer { im in
                    for r in 0..<frame.nrx {
                        let base = frame.index(tx: 0, rx: r, subcarrier: 0)
                        for (c, k) in frame.subcarriers.enumerated() {
                            let band = (k - low) >> 6
                            guard band >= 0, band < count else { continue }
                            let p = Double(re[base + c]) * Double(re[base + c]) + Double(im[base + c]) * Double(im[base + c])
                            energy[band] += p
                            total += p
                        }
                    }
                }
            }
            guard total > 0 else { return -1 }
            for i in 0..<count where energy[i] >= options.subBandEnergyFraction * total { return i }
            return -1
        }
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
