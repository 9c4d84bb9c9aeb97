import CSIFeatures
import Foundation

/// What a model needs from a stream, read from its `input` object (docs/model-format.md, "What a model needs"):
///
/// * chains: `amplitude-db` with layout `AxS` (e.g. `3x30`) needs exactly A receive chains; `csi-ratio-doppler`
///   at least 2 (a ratio between chains); `amplitude-doppler`, `sanitized-doppler` and
///   `amplitude-sanitized-doppler` at least 1. Another transform is refused at load,
///   naming `input.transform`.
/// * rate: `input.min_rate_hz` when given; else, for the Doppler transforms, 0.8 x `input.doppler.rate_hz` (a
///   slower stream would be resampled up far beyond what it measured); no minimum for `amplitude-db`.
///
/// The router (``ModelRouter``) checks a ``StreamProfile`` against these; the messages name what the model needs.
public struct ModelRequirements: Sendable, Equatable, CustomStringConvertible {
    /// `input.transform`.
    public var transform: String
    /// `input.layout` (`3x30`, `doppler-32`).
    public var layout: String
    /// Fewest receive chains.
    public var minimumChains: Int
    /// Whether the chains must be exactly ``minimumChains`` (`amplitude-db`: one layout row per chain).
    public var exactChains: Bool
    /// Slowest measurement rate the model accepts, Hz (`nil`: any).
    public var minimumRateHz: Double?

    /// Transform names and the chains they need (`exact` when the layout fixes the count).
    public static let knownTransforms = ["amplitude-db", "csi-ratio-doppler", "amplitude-doppler", "sanitized-doppler",
                                          "amplitude-sanitized-doppler"]
    /// Share of a Doppler model's `rate_hz` a stream must at least reach when `input.min_rate_hz` is absent.
    public static let dopplerRateShare = 0.8

    /// Derives the requirements of a transform; `parameters` is its `input` object (or the transform's
    /// ``FeatureTransform/parameters`` with `layout`). Throws naming the field (`input.transform`, `input.layout`,
    /// `input.min_rate_hz`).
    public init(input: [String: Any]) throws(ModelRequirementsError) {
        let transform = (input["transform"] as? String) ?? FeatureTransform.amplitudeDBName
        let layout = input["layout"] as? String
        switch transform {
        case "amplitude-db":
            let parts = (layout ?? FeatureLayout.name).split(separator: "x")
            guard parts.count == 2, let antennas = Int(parts[0]), let subcarriers = Int(parts[1]),
                  antennas >= 1, subcarriers >= 1 else {
                throw ModelRequirementsError(field: "input.layout", reason: "'\(layout ?? "")' is not <antennas>x<subcarriers>")
            }
            self.layout = layout ?? FeatureLayout.name
            minimumChains = antennas
            exactChains = true
        case "csi-ratio-doppler", "amplitude-doppler", "sanitized-doppler", "amplitude-sanitized-doppler":
            guard let layout, layout.hasPrefix("doppler-"), Int(layout.dropFirst("doppler-".count)) != nil else {
                throw ModelRequirementsError(field: "input.layout", reason: "'\(layout ?? "")' is not doppler-<bins> (needed by \(transform))")
            }
            self.layout = layout
            minimumChains = transform == "csi-ratio-doppler" ? 2 : 1
            exactChains = false
        default:
            throw ModelRequirementsError(field: "input.transform", reason: "'\(transform)' has no known stream requirements "
                + "(known: \(Self.knownTransforms.joined(separator: ", ")))")
        }
        self.transform = transform
        if let value = input["min_rate_hz"] {
            guard let rate = JSONNumber.finite(value), rate > 0 else {
                throw ModelRequirementsError(field: "input.min_rate_hz", reason: "must be a number > 0")
            }
            minimumRateHz = rate
        } else if exactChains {
            minimumRateHz = nil
        } else if let doppler = input["doppler"] as? [String: Any], let rate = (doppler["rate_hz"] as? NSNumber)?.doubleValue {
            minimumRateHz = rate * Self.dopplerRateShare
        } else {
            minimumRateHz = nil
        }
    }

    /// The requirements of a classifier's declared transform (classifiers that are not model files).
    public init(transform: FeatureTransform) {
        var input = transform.parameters
        input["transform"] = transform.name
        input["layout"] = transform.layout
        if let requirements = try? ModelRequirements(input: input) {
            self = requirements
        } else {
            self.transform = transform.name
            layout = transform.layout
            minimumChains = 1
            exactChains = false
            minimumRateHz = nil
        }
    }

    /// `needs 3 chains` / `needs >= 2 chains`.
    public var chainsText: String {
        "\(exactChains ? "" : ">= ")\(minimumChains) chain\(minimumChains == 1 && exactChains ? "" : "s")"
    }

    /// `csi-ratio-doppler (doppler-32): >= 2 chains, >= 200 Hz`.
    public var description: String {
        "\(transform) (\(layout)): \(chainsText)" + (minimumRateHz.map { String(format: ", >= %g Hz", $0) } ?? "")
    }

    /// How a stream fits.
    public enum Fit: Equatable, Sendable {
        /// It can feed the model.
        case fits
        /// It fits except that its rate is not measured yet.
        case rateUnknown
        /// Slower than ``minimumRateHz`` (everything else fits).
        case rateTooLow
        /// Wrong number of chains.
        case chains
    }

    /// Whether `profile` can feed the model.
    public func fit(_ profile: StreamProfile) -> Fit {
        if exactChains ? profile.chains != minimumChains : profile.chains < minimumChains { return .chains }
        guard let minimumRateHz else { return .fits }
        guard let rate = profile.rateHz else { return .rateUnknown }
        return rate < minimumRateHz ? .rateTooLow : .fits
    }
}
