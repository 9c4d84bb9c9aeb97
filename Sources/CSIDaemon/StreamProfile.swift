import CSICapture

/// What a stream offers a model, as the router sees it once its measurements are assembled: the device, its
/// receive chains (after Nexmon cores or boards are grouped), subcarriers, bandwidth and measurement rate.
public struct StreamProfile: Sendable, Equatable, CustomStringConvertible {
    /// `intel5300`, `nexmon`, `esp32`, `atheros` or `simulated` (``CSIDevice/description``).
    public var device: String
    /// The Nexmon chip (`bcm4366c0`), `nil` for other devices.
    public var chip: String?
    /// Receive chains of one measurement (`nrx` after grouping).
    public var chains: Int
    /// Subcarriers of one measurement.
    public var subcarriers: Int
    /// Channel bandwidth, MHz.
    public var bandwidthMHz: Int
    /// Measurements per second of capture time (`nil` until measured).
    public var rateHz: Double?

    /// Creates a profile.
    public init(device: String, chip: String? = nil, chains: Int, subcarriers: Int, bandwidthMHz: Int, rateHz: Double? = nil) {
        self.device = device
        self.chip = chip
        self.chains = chains
        self.subcarriers = subcarriers
        self.bandwidthMHz = bandwidthMHz
        self.rateHz = rateHz
    }

    /// The profile of one assembled measurement (rate unknown).
    public init(measurement frame: CSIFrame) {
        var chip: String?
        if case .nexmon(let code) = frame.device { chip = NexmonChip(rawValue: code)?.description }
        self.init(device: frame.device.description, chip: chip, chains: frame.nrx, subcarriers: frame.nsub,
                  bandwidthMHz: frame.bandwidthMHz)
    }

    /// Whether a route's `device` value names this device: `nexmon` matches every Nexmon chip, `nexmon-4366c0`
    /// (or `nexmon-bcm4366c0`) one chip; other names must be equal.
    public func isDevice(_ name: String) -> Bool {
        let name = name.lowercased()
        if name == device { return true }
        guard device == "nexmon", let chip, name.hasPrefix("nexmon-") else { return false }
        return NexmonChip(name: String(name.dropFirst("nexmon-".count)))?.description == chip
    }

    /// `nexmon (bcm4366c0) stream: 3 chains, 64 subcarriers, 20 MHz, 50.0 Hz`.
    public var description: String {
        let rate = rateHz.map { String(format: "%.1f Hz", $0) } ?? "rate not measured yet"
        return "\(device)\(chip.map { " (\($0))" } ?? "") stream: \(chains) chain\(chains == 1 ? "" : "s"), "
            + "\(subcarriers) subcarriers, \(bandwidthMHz) MHz, \(rate)"
    }
}
