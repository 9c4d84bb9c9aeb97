import CSICapture

/// Everything that turns a stream's frames into model windows; the daemon and `csihar dataset export` build it
/// from the same values so that training and serving see identical windows.
public struct FeaturePipelineConfig: Sendable, Hashable {
    /// Steps per window (model `input.steps`).
    public var steps: Int
    /// Steps per second (model `input.sample_rate_hz`).
    public var sampleRateHz: Double
    /// Steps between windows.
    public var hopSteps: Int
    /// Resampling details (ZOH points per step, maximum hold).
    public var resampler: ResamplerConfig
    /// Frame-to-feature options.
    public var features: FeatureOptions
    /// Steps the motion energy is measured over (0 disables it).
    public var motionSteps: Int
    /// What a window step holds (the model's `input.transform`).
    public var transform: FeatureTransform
    /// Whether windows carry their values. False when the consumer keeps the steps itself from
    /// ``FeaturePipeline/onStep`` (the daemon's streaming engine): windows then come with empty `values`, and
    /// the window ring and the per-window copy are skipped.
    public var windowValues = true

    /// Features per window step.
    public var featureCount: Int { transform.featureCount }

    /// The most window steps one measurement can complete: the resampler fills at most `maxHoldSeconds` after the
    /// previous frame (a longer gap restarts the grid and completes none), plus one step for rounding; a Doppler
    /// transform makes one window step per `hop` resampled steps.
    public var maximumStepsPerMeasurement: Int {
        let resampled = Int((resampler.maxHoldSeconds * resampler.sampleRateHz).rounded(.up)) + 2     // resampled steps
        switch transform {
        case .amplitudeDB: return resampled
        case .ratioDoppler(let spec), .amplitudeDoppler(let spec), .sanitizedDoppler(let spec), .amplitudeSanitizedDoppler(let spec): return resampled / max(1, spec.hop) + 2
        }
    }

    /// The most windows one measurement can complete.
    public var maximumWindowsPerMeasurement: Int { maximumStepsPerMeasurement / max(1, hopSteps) + 1 }

    /// Creates a configuration; `hopSeconds` is rounded to whole steps (at least 1).
    /// With a Doppler transform the window's steps are spectrum frames: `sampleRateHz` is ignored in favour of the
    /// spec's frame rate, and the resampler runs at the spec's `rate_hz`.
    public init(steps: Int, sampleRateHz: Double, hopSeconds: Double, pointsPerStep: Int = 2,
                maxHoldSeconds: Double = 0.5, features: FeatureOptions = FeatureOptions(), motionSteps: Int? = nil,
                transform: FeatureTransform = .amplitudeDB) {
        let stepRate: Double, resampleRate: Double
        switch transform {
        case .amplitudeDB: stepRate = sampleRateHz; resampleRate = sampleRateHz
        case .ratioDoppler(let spec), .amplitudeDoppler(let spec), .sanitizedDoppler(let spec), .amplitudeSanitizedDoppler(let spec): stepRate = spec.frameRateHz; resampleRate = spec.rateHz
        }
        self.steps = steps
        self.sampleRateHz = stepRate
        self.hopSteps = max(1, Int((hopSeconds * stepRate).rounded()))
        self.resampler = ResamplerConfig(sampleRateHz: resampleRate, pointsPerStep: pointsPerStep,
                                         maxHoldSeconds: maxHoldSeconds)
        self.features = features
        self.motionSteps = motionSteps ?? max(2, Int((0.5 * stepRate).rounded()))
        self.transform = transform
    }

    /// UT-HAR as SenseFi feeds it: 250 steps at 250 Hz (1 s), 2 ZOH points per step, hop 0.2 s.
    public static let utHAR = FeaturePipelineConfig(steps: 250, sampleRateHz: 250, hopSeconds: 0.2)
}

/// A window handed to the caller: valid only during the callback.
public struct FeatureWindow {
    /// Un-normalised features, (steps, features) row-major.
    public var values: UnsafeBufferPointer<Float>
    /// Capture time at which the window's first step starts.
    public var startTime: Double
    /// Capture time at which the window's last step ends.
    public var endTime: Double
    /// Motion energy over the last `motionSteps` steps (dB^2).
    public var motionEnergy: Double
}

/// Per-stream chain: ``MeasurementAssembler`` (Nexmon cores -> 3 antennas) -> ``FeatureExtractor`` ->
/// ``Resampler`` -> [``DopplerSpectrum`` for the Doppler transforms] -> ``SlidingWindow`` (+ ``MotionEnergy``). Feed it all frames of one transmitter (for Nexmon: all
/// cores; do not split a transmitter's cores into separate pipelines).
/// Preallocated; steady-state pushes allocate nothing except inside the extractor's first use of a grid.
public final class FeaturePipeline {
    /// The configuration.
    public let config: FeaturePipelineConfig
    /// The frame-to-feature mapper.
    public let extractor: FeatureExtractor
    /// The resampler (its counters report duplicates, out-of-order frames and gap resets).
    public private(set) var resampler: Resampler
    /// The window buffer.
    public private(set) var window: SlidingWindow
    /// The motion measure.
    public private(set) var motion: MotionEnergy
    /// Joins Nexmon cores into 3-antenna measurements.
    public let assembler = MeasurementAssembler()
    /// Flags of the last extracted frame.
    public private(set) var lastFlags: FeatureFlags = []
    /// The spectrum stage (Doppler transforms only).
    public private(set) var doppler: DopplerSpectrum?
    /// The spectrum stage of the sanitised half of `amplitude-sanitized-doppler` (`doppler` makes the amplitude half).
    private var sanitizedDoppler: DopplerSpectrum?
    /// Called with every window step (features,) before it enters the window (the daemon's streaming engine
    /// keeps its own per-stream state from these).
    public var onStep: ((UnsafeBufferPointer<Float>) -> Void)?

    /// The frame the resampler holds (the latest one not dropped); featurised only if a resampling instant
    /// samples it.
    private var heldFrame: CSIFrame?
    /// Frames actually featurised (at 1 kHz into 250 Hz x 2 points, about half of those pushed).
    public private(set) var featurisedFrames = 0
    /// The window handed to callbacks, (steps, features).
    private var windowBuffer: [Float]
    /// The latest spectrum frame, (bins + drift lags,) (Doppler transforms).
    private var frameBuffer: [Float]

    /// Creates a pipeline.
    public init(config: FeaturePipelineConfig) {
        self.config = config
        extractor = FeatureExtractor(options: config.features)
        let features = config.featureCount
        switch config.transform {
        case .amplitudeDB:
            resampler = Resampler(config: config.resampler, features: features)
        case .ratioDoppler(let spec):
            resampler = Resampler(config: config.resampler, features: FeatureExtractor.ratioFeatures)
            doppler = DopplerSpectrum(spec: spec, series: FeatureExtractor.ratioFeatures / 2)
        case .amplitudeDoppler(let spec):
            resampler = Resampler(config: config.resampler, features: FeatureExtractor.amplitudeSeriesFeatures)
            doppler = DopplerSpectrum(spec: spec, series: FeatureExtractor.amplitudeSeriesFeatures / 2)
        case .sanitizedDoppler(let spec):
            resampler = Resampler(config: config.resampler, features: FeatureExtractor.sanitizedFeatures)
            doppler = DopplerSpectrum(spec: spec, series: FeatureExtractor.sanitizedFeatures / 2)
        case .amplitudeSanitizedDoppler(let spec):
            resampler = Resampler(config: config.resampler,
                                  features: FeatureExtractor.amplitudeSeriesFeatures + FeatureExtractor.sanitizedFeatures)
            var halves = spec
            halves.driftLags = []          // not for this transform (refused when read; never written past a half)
            doppler = DopplerSpectrum(spec: halves, series: FeatureExtractor.amplitudeSeriesFeatures / 2)
            sanitizedDoppler = DopplerSpectrum(spec: halves, series: FeatureExtractor.sanitizedFeatures / 2)
        }
        window = SlidingWindow(steps: config.steps, features: features, hopSteps: config.hopSteps,
                               storesSteps: config.windowValues)
        motion = MotionEnergy(steps: max(2, config.motionSteps), features: features)
        windowBuffer = [Float](repeating: 0, count: config.windowValues ? config.steps * features : 0)
        frameBuffer = [Float](repeating: 0, count: features)
    }

    /// Feeds one frame; calls `onWindow` for every window completed by it. Throws ``FeatureError`` when a
    /// measurement cannot supply the layout (the stream is unusable). Returns the resampler's verdict on the last
    /// measurement the frame completed (`.accepted` when it only joined a pending Nexmon measurement).
    @discardableResult
    public func push(_ frame: consuming CSIFrame, onWindow: (FeatureWindow) -> Void) throws(FeatureError) -> ResampleOutcome {
        var outcome = ResampleOutcome.accepted
        var failure: FeatureError?
        assembler.push(consume frame) { measurement in
            guard failure == nil else { return }
            do throws(FeatureError) { outcome = try pushMeasurement(consume measurement, onWindow: onWindow) } catch { failure = error }
        }
        if let failure { throw failure }
        return outcome
    }

    /// One whole measurement through extractor, resampler and window.
    /// Every measurement is validated (so an unusable stream fails on its first frame), but its 90 features are
    /// computed only when the resampler samples it (``Resampler/push(timestamp:loadHeld:emit:)``): the values are
    /// the same as featurising every frame.
    private func pushMeasurement(_ frame: consuming CSIFrame, onWindow: (FeatureWindow) -> Void) throws(FeatureError) -> ResampleOutcome {
        switch config.transform {
        case .amplitudeDB: lastFlags = try extractor.validate(frame)
        case .ratioDoppler: lastFlags = try extractor.checkRatio(frame).flags
        case .amplitudeDoppler, .sanitizedDoppler, .amplitudeSanitizedDoppler:
            lastFlags = try extractor.checkChainGrid(frame).flags
        }
        let outcome = resampler.push(timestamp: frame.timestamp, loadHeld: loadHeld, emit: { time, step in
            accept(stepTime: time, step: step, onWindow: onWindow)
        })
        switch outcome {
        case .duplicate, .outOfOrder: break
        case .gapReset: heldFrame = consume frame; window.reset(); motion.reset(); doppler?.reset(); sanitizedDoppler?.reset()
        case .accepted, .started: heldFrame = consume frame
        }
        return outcome
    }

    /// Writes the held frame's features (validated when it was pushed, so extraction cannot fail here; a frame
    /// that still fails leaves zeros).
    private func loadHeld(_ out: UnsafeMutableBufferPointer<Float>) {
        // moved out and back rather than copied: a copy would count a reference to each of the frame's arrays
        guard let frame = heldFrame.take() else { return }
        defer { heldFrame = consume frame }
        featurisedFrames += 1
        do throws(FeatureError) {
            switch config.transform {
            case .amplitudeDB: try extractor.extract(frame, into: out)
            case .ratioDoppler(let spec):
                try extractor.extractRatio(frame, into: out)
                if spec.unitRatio { Self.normalizeToUnit(out) }
            case .amplitudeDoppler: try extractor.extractAmplitudeSeries(frame, into: out)
            case .sanitizedDoppler: try extractor.extractSanitizedCSI(frame, into: out)
            case .amplitudeSanitizedDoppler:
                let split = FeatureExtractor.amplitudeSeriesFeatures
                try extractor.extractAmplitudeSeries(frame, into: UnsafeMutableBufferPointer(rebasing: out[..<split]))
                try extractor.extractSanitizedCSI(frame, into: UnsafeMutableBufferPointer(rebasing: out[split...]))
            }
        } catch {
            for f in 0..<out.count { out[f] = 0 }
        }
    }

    /// Divides every complex value (re, im pairs) by its magnitude (zero stays zero): the phase of the CSI ratio only.
    static func normalizeToUnit(_ values: UnsafeMutableBufferPointer<Float>) {
        for i in stride(from: 0, to: values.count - 1, by: 2) {
            let re = Double(values[i]), im = Double(values[i + 1])
            let m = (re * re + im * im).squareRoot()
            values[i] = m > 0 ? Float(re / m) : 0
            values[i + 1] = m > 0 ? Float(im / m) : 0
        }
    }

    /// Flushes the steps up to the last frame (end of a recording) and resets the stream state.
    public func finish(onWindow: (FeatureWindow) -> Void) {
        assembler.reset()
        resampler.finish(loadHeld: loadHeld, emit: { time, step in accept(stepTime: time, step: step, onWindow: onWindow) })
        heldFrame = nil
        window.reset()
        motion.reset()
        doppler?.reset()
        sanitizedDoppler?.reset()
    }

    /// One resampled step: through the spectrum stage when there is one, then into the window.
    private func accept(stepTime: Double, step: UnsafeBufferPointer<Float>, onWindow: (FeatureWindow) -> Void) {
        guard doppler != nil else { return acceptWindowStep(stepTime: stepTime, step: step, onWindow: onWindow) }
        let due = frameBuffer.withUnsafeMutableBufferPointer { frame -> Bool in
            guard sanitizedDoppler != nil else { return doppler!.push(step, frame: frame) }
            // amplitude-sanitized-doppler: (amplitude series, sanitised series) -> (amplitude bands, sanitised bands)
            let split = FeatureExtractor.amplitudeSeriesFeatures, bins = frame.count / 2
            let first = doppler!.push(UnsafeBufferPointer(rebasing: step[..<split]),
                                      frame: UnsafeMutableBufferPointer(rebasing: frame[..<bins]))
            let second = sanitizedDoppler!.push(UnsafeBufferPointer(rebasing: step[split...]),
                                                frame: UnsafeMutableBufferPointer(rebasing: frame[bins...]))
            return first && second
        }
        guard due else { return }
        // the frame's step ends where the resampled step that completed it ends
        let frameTime = stepTime + 1 / config.resampler.sampleRateHz - 1 / config.sampleRateHz
        frameBuffer.withUnsafeBufferPointer { acceptWindowStep(stepTime: frameTime, step: $0, onWindow: onWindow) }
    }

    /// One window step (`stepTime` = its start) into the motion measure and the window.
    private func acceptWindowStep(stepTime: Double, step: UnsafeBufferPointer<Float>, onWindow: (FeatureWindow) -> Void) {
        onStep?(step)
        motion.push(step)
        guard window.push(step) else { return }
        if config.windowValues {
            windowBuffer.withUnsafeMutableBufferPointer { out in
                window.copyWindow(into: out)
            }
        }
        let stepSeconds = 1 / config.sampleRateHz
        let end = stepTime + stepSeconds
        let start = end - Double(config.steps) * stepSeconds
        let energy = motion.value
        windowBuffer.withUnsafeBufferPointer { values in
            onWindow(FeatureWindow(values: values, startTime: start, endTime: end, motionEnergy: energy))
        }
    }
}
