import CSICapture
import CSIEvents
import CSIFeatures

/// Per-stream model routing (``ModelRouter``): a new stream's measurements are held while its rate is measured
/// (only when the decision depends on it), then the stream is attached to its model's ``ClassifierLane`` and the
/// held measurements go through its features; a stream no model fits gets one `stream.error`. Pipeline thread only.
extension DaemonPipeline {
    /// One assembled measurement of `stream`.
    func accept(_ measurement: consuming CSIFrame, stream: Stream) {
        if stream.profile != nil {
            guard stream.features != nil else { counters.framesRejected += 1; return }
            return feed(consume measurement, stream: stream)
        }
        stream.probe.add(measurement)
        var profile = StreamProfile(measurement: stream.probe.held[0])
        profile.rateHz = stream.probe.rate()
        if router.isEmpty {
            profile.rateHz = profile.rateHz ?? 0
            return route(stream, profile: profile)
        }
        if case .wait = router.decide(profile) {
            guard stream.probe.held.count >= RateProbe.maximumMeasurements else { return }
            // Timestamps that do not advance: the rate cannot be measured.
            profile.rateHz = 0
        }
        route(stream, profile: profile)
    }

    /// Routes a stream that ends before its rate was measured, from what it holds.
    func routeWithWhatIsHeld(_ stream: Stream) {
        guard let first = stream.probe.held.first else { return }
        var profile = StreamProfile(measurement: first)
        profile.rateHz = stream.probe.rate(partial: true) ?? 0
        route(stream, profile: profile)
    }

    /// Applies the router's decision for `profile` to `stream` and feeds it what it holds.
    func route(_ stream: Stream, profile: StreamProfile) {
        stream.profile = profile
        let held = stream.probe.release()
        let decision: ModelRouter.Decision = router.isEmpty ? .wait : router.decide(profile)
        switch decision {
        case .model(let classifier, let label):
            guard let lane = lane(of: classifier) else { return }
            attach(stream, to: lane)
            stream.routeState = label
            let declared = classifier.smootherDefaults.isEmpty ? "" : "; the model's smoother values: \(classifier.smootherDefaults.description)"
            log("\(stream.key): \(profile); model \(classifier.name) (\(label))\(declared)")
        case .wait:
            // No model at all: windows of the default shape are only counted.
            stream.features = FeaturePipeline(config: .utHAR)
            stream.routeState = nil
        case .noModel(let message), .rateTooLow(let message):
            let kind: String
            if case .noModel = decision { kind = "no-model" } else { kind = "rate-too-low" }
            stream.routeState = kind
            counters.framesRejected += held.count
            warn("\(stream.key): cannot be classified (\(kind)): \(message)")
            publish(time: stream.lastCaptureTime, stream: stream.key, payload: .streamError(kind: kind, message: message))
            return
        }
        for measurement in held { feed(measurement, stream: stream) }
    }

    /// Gives `stream` its model: features for the model's input, a slot in a streaming model, the model's smoother
    /// labels, and its calibration file.
    private func attach(_ stream: Stream, to lane: ClassifierLane) {
        stream.lane = lane
        let features = FeaturePipeline(config: lane.featureConfig(hopSeconds: config.hopSeconds))
        stream.features = features
        stream.replaceSmoother(EventSmoother(config: smootherConfig(for: lane, idleMotionEnergy: nil)))
        if let streaming = lane.streaming {
            let slot = streaming.openStream()
            stream.slot = slot
            features.onStep = { [unowned self, unowned stream, unowned lane] step in
                // Room was made before the measurement (``makeRoom(for:)``); this only happens with a slack smaller
                // than one measurement's steps (a classifier built with a small slack), never with the default.
                if let end = stream.oldestPendingEnd, streaming.position(of: slot) - end >= streaming.slack {
                    self.callbackFlushes += 1
                    self.flush(lane)
                }
                stream.baseline?.add(step: step)
                streaming.append(step: step, to: slot)
            }
        }
        loadCalibration(stream)
    }

    /// Before a measurement goes through the stream's features, classifies the stream's lane when what the
    /// measurement can complete (``FeaturePipelineConfig/maximumStepsPerMeasurement`` steps, and the windows they
    /// make) might not fit: a full batch, or a waiting window of this stream whose steps the new ones would
    /// overwrite. Ingest then never classifies from inside the feature callbacks.
    func makeRoom(for stream: Stream) {
        guard let lane = stream.lane, let features = stream.features, lane.count > 0 else { return }
        let config = features.config
        if lane.count + config.maximumWindowsPerMeasurement > lane.maxBatch { return flush(lane) }
        if let streaming = lane.streaming, let slot = stream.slot, let end = stream.oldestPendingEnd,
           streaming.position(of: slot) - end + config.maximumStepsPerMeasurement >= streaming.slack {
            flush(lane)
        }
    }

    /// One measurement through the stream's features; a measurement the features refuse is counted, and published
    /// once per distinct reason.
    private func feed(_ measurement: consuming CSIFrame, stream: Stream) {
        guard let features = stream.features else { return }
        makeRoom(for: stream)
        let time = measurement.timestamp
        do {
            try features.push(consume measurement) { window in enqueue(window, stream: stream) }
        } catch {
            counters.recordIssues += 1
            counters.framesRejected += 1
            let message = "\(error)"
            guard message != stream.lastError else { return }
            stream.lastError = message
            warn("\(stream.key): cannot be classified: \(message)")
            publish(time: time, stream: stream.key, payload: .streamError(kind: "features", message: message))
        }
    }
}
