/// Why a frame cannot be mapped to the 3 x 30 feature layout. A stream that raises one of these cannot supply the
/// model's input; the daemon reports it once as a `stream.error` event and ignores the stream's frames.
public enum FeatureError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Fewer than 3 receive antennas and antenna replication was not allowed.
    case tooFewAntennas(device: String, available: Int)
    /// A CSI ratio needs at least 2 receive chains (`csi-ratio-doppler`).
    case tooFewChainsForRatio(device: String, available: Int)
    /// The frame's subcarrier grid does not cover the 30 layout subcarriers.
    case unsupportedSubcarriers(device: String, reason: String)
    /// The frame's CSI arrays are inconsistent with its declared shape.
    case malformedFrame(device: String, reason: String)

    /// A one-line explanation naming the device and what is missing.
    public var description: String {
        switch self {
        case let .tooFewAntennas(device, available):
            return "\(device) stream has \(available) receive antenna(s); the 3x30 amplitude-db layout needs 3 (join "
                + "Nexmon cores or boards into one stream: [pipeline] group / [[group]] in csihard.toml; or use a "
                + "model whose input takes 1 chain, e.g. models/csihar-1ch-doppler-gru.safetensors)"
        case let .tooFewChainsForRatio(device, available):
            return "\(device) stream has \(available) receive chain(s); the csi-ratio-doppler input needs at least 2"
        case let .unsupportedSubcarriers(device, reason):
            return "\(device) stream cannot supply the 30 layout subcarriers: \(reason)"
        case let .malformedFrame(device, reason):
            return "\(device) frame is malformed: \(reason)"
        }
    }
}

/// Notes about how a feature vector was obtained (the caller may log or count them; none is an error).
public struct FeatureFlags: OptionSet, Sendable, Hashable {
    /// The raw value.
    public let rawValue: UInt32
    /// Creates flags from a raw value.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// One antenna was copied into the missing antenna slots (allowed by ``FeatureOptions/allowReplicatedAntenna``).
    public static let replicatedAntenna = FeatureFlags(rawValue: 1 << 0)
    /// Intel 5300 40 MHz frame: the Ng = 4 subcarrier set, a different spacing from UT-HAR.
    public static let grid40MHz = FeatureFlags(rawValue: 1 << 1)
    /// At least one layout subcarrier was missing or corrupted and was substituted by a neighbour.
    public static let substitutedSubcarrier = FeatureFlags(rawValue: 1 << 2)
    /// Wideband frame without a single active 20 MHz sub-band: magnitudes interpolated at 30 evenly spaced indices.
    public static let interpolated = FeatureFlags(rawValue: 1 << 3)
    /// A 20 MHz sub-band of a 40/80 MHz capture was used.
    public static let subBand = FeatureFlags(rawValue: 1 << 4)
    /// No RSSI was available, so the amplitudes are raw (not SNR-scaled).
    public static let unscaled = FeatureFlags(rawValue: 1 << 5)
    /// Ntx > 1: only transmit stream 0 was used.
    public static let firstTransmitStream = FeatureFlags(rawValue: 1 << 6)
}
