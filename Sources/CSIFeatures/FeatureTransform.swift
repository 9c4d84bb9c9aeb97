import Foundation

/// The input transform a model declares in `input.transform` (docs/features.md): what one window step holds.
///
/// * `amplitude-db` (layout `3x30`, 90 features): `20 log10 |H_scaled|` per antenna and subcarrier, one step per
///   resampled instant. Kept for older model files; it carries the room's static multipath in every feature.
/// * `csi-ratio-doppler` (layout `doppler-<bins>`): the CSI ratio between receive chains (cancels the per-packet
///   phase garbage and AGC common to all chains), its static part removed, and its Doppler power spectrum folded
///   into `bins` signed-frequency bands, in dB relative to the static power. One step per spectrum frame (every
///   `hop` resampled instants), so a window of 40 steps at 10 Hz covers 4 s of movement.
/// * `amplitude-doppler` (layout `doppler-<bins>`): the amplitudes of up to 3 receive chains x 30 subcarriers,
///   divided by the frame's own RMS (cancels AGC and transmit power), their static part removed, and the Doppler
///   power spectrum of these real series (symmetric in frequency) in the same bands and units. Needs one receive
///   chain only: the input for 1-antenna radios (Raspberry Pi Nexmon, ESP32), and it accepts any chain count.
/// * `sanitized-doppler` (layout `doppler-<bins>`): the complex CSI of receive chain 0 with each packet's linear
///   phase across subcarriers (delay slope and common phase) and gain removed, its static part removed, and its
///   Doppler power spectrum in the same signed bands and units. One chain is enough, and the sign of the Doppler
///   (towards or away from the link) survives where `amplitude-doppler` folds it.
/// * With `doppler.drift_lags` (not for `amplitude-sanitized-doppler`) each step also holds one static-change value
///   per lag after its bands, and the layout is `doppler-<bins + lags>`.
/// * `amplitude-sanitized-doppler` (layout `doppler-<2 x bins>`): the `amplitude-doppler` bands of a step followed
///   by its `sanitized-doppler` bands. One chain is enough.
public enum FeatureTransform: Sendable, Hashable, CustomStringConvertible {
    /// `amplitude-db`, 3 x 30 features per step.
    case amplitudeDB
    /// `csi-ratio-doppler` with its spectrum parameters.
    case ratioDoppler(DopplerSpec)
    /// `amplitude-doppler` with its spectrum parameters (`unit_ratio` does not apply).
    case amplitudeDoppler(DopplerSpec)
    /// `sanitized-doppler` with its spectrum parameters (`unit_ratio` does not apply).
    case sanitizedDoppler(DopplerSpec)
    /// `amplitude-sanitized-doppler` with the spectrum parameters of each half (`unit_ratio` does not apply).
    case amplitudeSanitizedDoppler(DopplerSpec)

    /// `input.transform` names.
    public static let amplitudeDBName = "amplitude-db"
    /// `input.transform` name of ``ratioDoppler(_:)``.
    public static let ratioDopplerName = "csi-ratio-doppler"
    /// `input.transform` name of ``amplitudeDoppler(_:)``.
    public static let amplitudeDopplerName = "amplitude-doppler"
    /// `input.transform` name of ``sanitizedDoppler(_:)``.
    public static let sanitizedDopplerName = "sanitized-doppler"
    /// `input.transform` name of ``amplitudeSanitizedDoppler(_:)``.
    public static let amplitudeSanitizedDopplerName = "amplitude-sanitized-doppler"
    /// Every transform name this code produces.
    public static let supportedNames: [String] = [amplitudeDBName, ratioDopplerName, amplitudeDopplerName,
                                                  sanitizedDopplerName, amplitudeSanitizedDopplerName]

    /// The spectrum parameters of the Doppler transforms (`nil` for `amplitude-db`).
    public var doppler: DopplerSpec? {
        switch self {
        case .amplitudeDB: return nil
        case .ratioDoppler(let spec), .amplitudeDoppler(let spec), .sanitizedDoppler(let spec),
             .amplitudeSanitizedDoppler(let spec): return spec
        }
    }

    /// Receive chains a stream must have (`amplitude-db`: the layout's 3 unless replication is allowed;
    /// `csi-ratio-doppler`: 2; `amplitude-doppler` and `sanitized-doppler`: 1).
    public var minimumChains: Int {
        switch self {
        case .amplitudeDB: return FeatureLayout.antennas
        case .ratioDoppler: return 2
        case .amplitudeDoppler, .sanitizedDoppler, .amplitudeSanitizedDoppler: return 1
        }
    }

    /// The `input.transform` name.
    public var name: String {
        switch self {
        case .amplitudeDB: return Self.amplitudeDBName
        case .ratioDoppler: return Self.ratioDopplerName
        case .amplitudeDoppler: return Self.amplitudeDopplerName
        case .sanitizedDoppler: return Self.sanitizedDopplerName
        case .amplitudeSanitizedDoppler: return Self.amplitudeSanitizedDopplerName
        }
    }

    /// The `input.layout` name.
    public var layout: String {
        switch self {
        case .amplitudeDB: return FeatureLayout.name
        case .ratioDoppler(let spec), .amplitudeDoppler(let spec), .sanitizedDoppler(let spec): return "doppler-\(spec.frameWidth)"
        case .amplitudeSanitizedDoppler(let spec): return "doppler-\(2 * spec.bins)"
        }
    }

    /// Features per window step.
    public var featureCount: Int {
        switch self {
        case .amplitudeDB: return FeatureLayout.features
        case .ratioDoppler(let spec), .amplitudeDoppler(let spec), .sanitizedDoppler(let spec): return spec.frameWidth
        case .amplitudeSanitizedDoppler(let spec): return 2 * spec.bins
        }
    }

    /// `name (layout)`.
    public var description: String { "\(name) (\(layout))" }

    /// The transform's parameters for `input` in a model file or dataset `meta.json` (empty for `amplitude-db`).
    public var parameters: [String: Any] {
        switch self {
        case .amplitudeDB: return [:]
        case .ratioDoppler(let spec), .amplitudeDoppler(let spec), .sanitizedDoppler(let spec),
             .amplitudeSanitizedDoppler(let spec): return ["doppler": spec.json]
        }
    }

    /// Reads the transform of a model's or dataset's `input` object: `transform` (default `amplitude-db`),
    /// `layout`, `features`, `sample_rate_hz` and, for the Doppler transforms, the `doppler` object. Errors name the
    /// field (`input.doppler.fft`, ...).
    public init(input: [String: Any]) throws(FeatureTransformError) {
        let name = (input["transform"] as? String) ?? Self.amplitudeDBName
        switch name {
        case Self.amplitudeDBName:
            self = .amplitudeDB
        case Self.ratioDopplerName, Self.amplitudeDopplerName, Self.sanitizedDopplerName,
             Self.amplitudeSanitizedDopplerName:
            guard let object = input["doppler"] as? [String: Any] else {
                throw FeatureTransformError(field: "input.doppler", reason: "is missing or not an object (needed by \(name))")
            }
            let spec = try DopplerSpec(json: object)
            if name == Self.amplitudeSanitizedDopplerName && !spec.driftLags.isEmpty {
                throw FeatureTransformError(field: "input.doppler.drift_lags", reason: "does not apply to \(name)")
            }
            if let rate = (input["sample_rate_hz"] as? Double) ?? (input["sample_rate_hz"] as? Int).map(Double.init),
               abs(rate - spec.frameRateHz) > 1e-6 * spec.frameRateHz {
                throw FeatureTransformError(field: "input.sample_rate_hz", reason: "is \(rate); the doppler spectrum "
                    + "makes \(spec.frameRateHz) frames/s (rate_hz / hop)")
            }
            if name != Self.ratioDopplerName {
                guard !spec.unitRatio else {
                    throw FeatureTransformError(field: "input.doppler.unit_ratio", reason: "applies to "
                        + "\(Self.ratioDopplerName) only (\(name) has no chain ratio)")
                }
                switch name {
                case Self.amplitudeDopplerName: self = .amplitudeDoppler(spec)
                case Self.sanitizedDopplerName: self = .sanitizedDoppler(spec)
                default: self = .amplitudeSanitizedDoppler(spec)
                }
            } else {
                self = .ratioDoppler(spec)
            }
        default:
            throw FeatureTransformError(field: "input.transform", reason: "'\(name)' is not produced by this version "
                + "(supported: \(Self.supportedNames.joined(separator: ", ")))")
        }
        if let layout = input["layout"] as? String, layout != self.layout {
            throw FeatureTransformError(field: "input.layout", reason: "is '\(layout)'; \(name) gives '\(self.layout)'")
        }
        if let features = input["features"] as? Int, features != featureCount {
            throw FeatureTransformError(field: "input.features", reason: "is \(features); \(self) gives \(featureCount)")
        }
    }
}

/// A transform declaration that cannot be used; names the field.
public struct FeatureTransformError: Error, Sendable, CustomStringConvertible {
    /// The offending key (`input.doppler.bins`).
    public var field: String
    /// Why.
    public var reason: String
    /// `field: reason`.
    public var description: String { "\(field): \(reason)" }
}

/// Parameters of the Doppler transforms, `csi-ratio-doppler`, `amplitude-doppler`, `sanitized-doppler` and
/// `amplitude-sanitized-doppler` (model file `input.doppler`).
public struct DopplerSpec: Sendable, Hashable {
    /// Rate (Hz) the CSI ratio (or the amplitudes) is resampled at before the spectrum (`rate_hz`); Doppler is seen up to +-rate/2.
    public var rateHz: Double
    /// Resampled instants per spectrum (`fft`, a Hann-windowed DFT of this length).
    public var fftSize: Int
    /// Resampled instants between two spectrum frames (`hop`).
    public var hop: Int
    /// Signed-frequency bands the spectrum is folded into (`bins`; divides `fft`).
    public var bins: Int
    /// Floor added to the relative power before the logarithm, in dB (`floor_db`).
    public var floorDB: Double
    /// Use only the phase of the ratio (`unit_ratio`: each frame's ratio divided by its magnitude before resampling):
    /// a gain step on one receive chain then leaves no trace; the rotation that carries the Doppler is kept.
    /// Default false.
    public var unitRatio: Bool
    /// Static-change features after the bands (`drift_lags`, spectrum frames, ascending; default none): for each lag
    /// `L`, how far the static part (the per-series mean the spectrum removes) moved since the frame `L` frames
    /// earlier, in dB relative to the static power (``DopplerSpectrum``). A posture change (sitting down, lying,
    /// falling) leaves the static channel changed; a movement that returns (picking something up) does not, and the
    /// Doppler bands alone, static part removed, cannot tell them apart. Not for `amplitude-sanitized-doppler`.
    public var driftLags: [Int]
    /// Running median over this many resampled instants (`median_steps`, odd, default 1 = none), taken of each
    /// series' real and imaginary parts before the spectrum: a packet that is off on its own (interference, a
    /// receiver glitch: real Raspberry Pi recordings have such packets in 5-10% of steps) no longer spreads over every
    /// band, while motion, which lasts many steps, passes. The ends of the held steps repeat the first and last value.
    public var medianSteps: Int

    /// Creates a spec; ``validate()`` checks it.
    public init(rateHz: Double = 250, fftSize: Int = 64, hop: Int = 25, bins: Int = 32, floorDB: Double = -60,
                unitRatio: Bool = false, driftLags: [Int] = [], medianSteps: Int = 1) {
        self.rateHz = rateHz
        self.fftSize = fftSize
        self.hop = hop
        self.bins = bins
        self.floorDB = floorDB
        self.unitRatio = unitRatio
        self.driftLags = driftLags
        self.medianSteps = medianSteps
    }

    /// Values per spectrum frame: the bands, then one static-change value per drift lag.
    public var frameWidth: Int { bins + driftLags.count }

    /// The default: 250 Hz, 64-point spectra (0.256 s, 3.9 Hz resolution) every 0.1 s, folded into 32 bands.
    public static let standard = DopplerSpec()

    /// Spectrum frames per second (the window's step rate, the model's `sample_rate_hz`).
    public var frameRateHz: Double { rateHz / Double(hop) }

    /// Reads `{"rate_hz", "fft", "hop", "bins", "floor_db", "unit_ratio", "drift_lags", "median_steps"}`; every key
    /// is required except `floor_db`, `unit_ratio`, `drift_lags` and `median_steps`.
    public init(json: [String: Any]) throws(FeatureTransformError) {
        func number(_ key: String) throws(FeatureTransformError) -> Double {
            guard let value = json[key] as? Double ?? (json[key] as? Int).map(Double.init), value.isFinite else {
                throw FeatureTransformError(field: "input.doppler.\(key)", reason: "is missing or not a number")
            }
            return value
        }
        func integer(_ key: String) throws(FeatureTransformError) -> Int {
            let value = try number(key)
            guard value == value.rounded(), abs(value) < 1e6 else {
                throw FeatureTransformError(field: "input.doppler.\(key)", reason: "must be a whole number")
            }
            return Int(value)
        }
        var unit = false
        if let value = json["unit_ratio"] {
            guard let flag = value as? Bool else {
                throw FeatureTransformError(field: "input.doppler.unit_ratio", reason: "must be true or false")
            }
            unit = flag
        }
        var lags: [Int] = []
        if let value = json["drift_lags"] {
            guard let items = value as? [Any] else {
                throw FeatureTransformError(field: "input.doppler.drift_lags", reason: "must be an array of whole numbers")
            }
            for (i, item) in items.enumerated() {
                guard let value = JSONNumber.finite(item), value == value.rounded(), abs(value) < 1e6 else {
                    throw FeatureTransformError(field: "input.doppler.drift_lags", reason: "value \(i) is not a whole number")
                }
                lags.append(Int(value))
            }
        }
        self.init(rateHz: try number("rate_hz"), fftSize: try integer("fft"), hop: try integer("hop"),
                  bins: try integer("bins"), floorDB: json["floor_db"] == nil ? -60 : try number("floor_db"),
                  unitRatio: unit, driftLags: lags, medianSteps: json["median_steps"] == nil ? 1 : try integer("median_steps"))
        try validate()
    }

    /// The JSON object of the spec.
    public var json: [String: Any] {
        var object: [String: Any] = ["rate_hz": rateHz, "fft": fftSize, "hop": hop, "bins": bins, "floor_db": floorDB]
        if unitRatio { object["unit_ratio"] = true }
        if !driftLags.isEmpty { object["drift_lags"] = driftLags }
        if medianSteps != 1 { object["median_steps"] = medianSteps }
        return object
    }

    /// Checks ranges; the error names the field.
    public func validate() throws(FeatureTransformError) {
        func require(_ ok: Bool, _ key: String, _ reason: String) throws(FeatureTransformError) {
            if !ok { throw FeatureTransformError(field: "input.doppler.\(key)", reason: reason) }
        }
        try require(rateHz > 0 && rateHz <= 10_000, "rate_hz", "must be in (0, 10000]")
        try require(fftSize >= 4 && fftSize <= 1024, "fft", "must be 4...1024")
        try require(hop >= 1 && hop <= fftSize, "hop", "must be 1...fft")
        try require(bins >= 1 && fftSize % bins == 0, "bins", "must divide fft (\(fftSize))")
        try require(floorDB >= -200 && floorDB <= 0, "floor_db", "must be in -200...0")
        try require(driftLags.allSatisfy { (1...Self.longestDriftLag).contains($0) }, "drift_lags",
                    "must be in 1...\(Self.longestDriftLag)")
        try require(zip(driftLags, driftLags.dropFirst()).allSatisfy { $0 < $1 }, "drift_lags", "must be ascending, no repeats")
        try require(driftLags.count <= 16, "drift_lags", "at most 16 lags")
        try require(medianSteps >= 1 && medianSteps <= 31 && medianSteps % 2 == 1 && medianSteps <= fftSize,
                    "median_steps", "must be odd, 1...31 and at most fft (\(fftSize))")
    }

    /// The longest drift lag, in spectrum frames.
    public static let longestDriftLag = 1000
}
