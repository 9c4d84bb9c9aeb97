/// One `[[route]]` table of the configuration: optional match keys and the model a matching stream gets when the
/// model fits it (``ModelRequirements``). Rules are tried in order (``ModelRouter``).
public struct RouteRule: Sendable, Equatable, CustomStringConvertible {
    /// `device`: device names (``StreamProfile/isDevice(_:)``), any of which matches; `nil`: any device.
    public var devices: [String]?
    /// `chains`: the stream's receive chains must equal this; `nil`: any.
    public var chains: Int?
    /// `bandwidth_mhz`: the stream's bandwidth must equal this; `nil`: any.
    public var bandwidthMHz: Int?
    /// `min_rate_hz`: the stream's measured rate must reach this; `nil`: any.
    public var minimumRateHz: Double?
    /// `model`: the model file (required).
    public var model: String

    /// Creates a rule.
    public init(devices: [String]? = nil, chains: Int? = nil, bandwidthMHz: Int? = nil, minimumRateHz: Double? = nil,
                model: String) {
        self.devices = devices
        self.chains = chains
        self.bandwidthMHz = bandwidthMHz
        self.minimumRateHz = minimumRateHz
        self.model = model
    }

    /// How a stream compares with the match keys.
    public enum Match: Equatable, Sendable {
        /// Every key matches.
        case matches
        /// Every key but `min_rate_hz` matches and the rate is not measured yet.
        case rateUnknown
        /// A key does not match (the reason names it).
        case differs(String)
    }

    /// Compares `profile` with the match keys.
    public func match(_ profile: StreamProfile) -> Match {
        if let devices, !devices.contains(where: profile.isDevice) {
            return .differs("device is not \(devices.joined(separator: "/"))")
        }
        if let chains, profile.chains != chains { return .differs("chains is not \(chains)") }
        if let bandwidthMHz, profile.bandwidthMHz != bandwidthMHz { return .differs("bandwidth is not \(bandwidthMHz) MHz") }
        if let minimumRateHz {
            guard let rate = profile.rateHz else { return .rateUnknown }
            if rate < minimumRateHz { return .differs(String(format: "rate below min_rate_hz %g", minimumRateHz)) }
        }
        return .matches
    }

    /// `device=nexmon chains=1 -> models/x.safetensors`.
    public var description: String {
        var keys: [String] = []
        if let devices { keys.append("device=\(devices.joined(separator: "/"))") }
        if let chains { keys.append("chains=\(chains)") }
        if let bandwidthMHz { keys.append("bandwidth_mhz=\(bandwidthMHz)") }
        if let minimumRateHz { keys.append(String(format: "min_rate_hz=%g", minimumRateHz)) }
        return (keys.isEmpty ? "any stream" : keys.joined(separator: " ")) + " -> " + model
    }
}
