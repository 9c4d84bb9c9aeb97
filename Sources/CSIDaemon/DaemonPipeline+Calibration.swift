import CSIEvents
import CSIInference
import Foundation

/// Per-stream calibration (docs/calibration.md, "In the daemon"): few-shot heads, empty-room baselines, their
/// files, and the `calibration.*` requests. Pipeline thread only.
extension DaemonPipeline {
    /// Applies a calibration request. `reply` receives one JSON object line (no newline): `{"type":"calibration",...}`
    /// or `{"type":"error","message":...}`; a baseline first replies `"status":"recording"`, then once it is done.
    public func calibrate(_ request: CalibrationRequest, reply: @escaping @Sendable (String) -> Void) {
        let name: String
        switch request {
        case .install: name = "calibration.install"
        case .baseline: name = "calibration.baseline"
        case .reset: name = "calibration.reset"
        }
        func fail(_ message: String) { reply(Self.errorReply("\(name): \(message)")) }
        guard let store = calibrationStore else { return fail("calibration is not available (no state directory)") }
        if case .reset(let key, .all) = request, streams[key] == nil, (try? store.read(key: key)) != nil {
            // A stream that is down: its file can still be deleted.
            do { try store.delete(key: key) } catch { return fail("\(error)") }
            return reply(Self.reply(["status": "reset", "stream": key, "part": "all", "removed": true, "head": false, "baseline": false]))
        }
        guard let stream = streams[request.stream] else {
            let known = (streamKeysUp?() ?? Array(streams.keys)).sorted()
            return fail("unknown stream \"\(request.stream)\" (streams up: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
        }
        guard let model = stream.lane?.classifier as? any CalibratableClassifier, let slot = stream.slot else {
            return fail("the stream's model (\(stream.lane?.classifier.name ?? "none")) cannot be calibrated")
        }
        let base = stream.calibration
            ?? StreamCalibration(stream: stream.key, model: model.model.config.name, modelSHA256: model.modelSHA256)
        let now = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: wallClockNow))
        switch request {
        case .install(_, let head):
            let classifierHead: ClassifierHead
            do {
                try head.validate(for: model.model, modelSHA256: model.modelSHA256, path: "head")
                classifierHead = try head.head()
                var updated = base
                updated.head = head
                updated.created = now
                try store.save(updated)
                try model.setHead(classifierHead, for: slot)
                stream.calibration = updated
            } catch {
                return fail("\(error) (the previous calibration is kept)")
            }
            reply(Self.reply(["status": "installed", "stream": stream.key, "part": "head", "file": store.path(for: stream.key),
                              "created": now, "windows": head.windows, "baseline": base.baseline != nil]))
        case .baseline(_, let seconds):
            guard stream.baseline == nil else { return fail("a baseline is already being recorded on \(stream.key)") }
            guard let idle = model.labels.firstIndex(of: config.smoother.idleLabel) else {
                return fail("the model has no \"\(config.smoother.idleLabel)\" class (smoother.idle_label) to check the room is empty")
            }
            stream.baseline = BaselineCollector(seconds: seconds, features: model.features, labels: model.labels,
                                                idleIndex: idle, reply: reply)
            reply(Self.reply(["status": "recording", "stream": stream.key, "seconds": seconds]))
        case .reset(_, let part):
            let removed = (part != .baseline && stream.calibration?.head != nil)
                || (part != .head && stream.calibration?.baseline != nil)
            var updated = base
            if part != .baseline { updated.head = nil }
            if part != .head { updated.baseline = nil }
            updated.created = now
            do {
                if stream.calibration == nil { try store.delete(key: stream.key) } else { try store.save(updated) }
            } catch {
                return fail("\(error)")
            }
            apply(updated.isEmpty ? nil : updated, to: stream, restartSmoother: true)
            reply(Self.reply(["status": "reset", "stream": stream.key, "part": part.rawValue, "removed": removed,
                              "head": updated.head != nil, "baseline": updated.baseline != nil]))
        }
    }

    /// Loads the stream's file (when it comes up, and after a model reload) and applies it, else the ``presetHead``
    /// if there is one; a file or preset that cannot be used is logged once, published as `stream.error` kind
    /// `calibration`, and ignored.
    func loadCalibration(_ stream: Stream) {
        guard let model = stream.lane?.classifier as? any CalibratableClassifier else { return }
        do {
            if let store = calibrationStore, let data = try store.read(key: stream.key) {
                let calibration = try StreamCalibration.parse(data: data, path: store.path(for: stream.key),
                                                              stream: stream.key, model: model.model,
                                                              modelSHA256: model.modelSHA256)
                apply(calibration, to: stream, restartSmoother: false)
            } else if let presetHead {
                try presetHead.validate(for: model.model, modelSHA256: model.modelSHA256, path: "preset head")
                apply(StreamCalibration(stream: stream.key, model: model.model.config.name,
                                        modelSHA256: model.modelSHA256, created: presetHead.created, head: presetHead),
                      to: stream, restartSmoother: false)
            }
        } catch {
            let message = "\(error); ignored, the stream runs uncalibrated"
            if loggedCalibrationProblems.insert(message).inserted { log("\(stream.key): calibration: \(message)") }
            publish(time: stream.lastCaptureTime, stream: stream.key, payload: .streamError(kind: "calibration", message: message))
        }
    }

    /// Makes `stream` use `calibration` (nil: the model's defaults): head, step offsets, idle motion threshold.
    func apply(_ calibration: StreamCalibration?, to stream: Stream, restartSmoother: Bool) {
        stream.calibration = calibration
        guard let model = stream.lane?.classifier as? any CalibratableClassifier, let slot = stream.slot else { return }
        do {
            try model.setHead(try calibration?.head?.head(), for: slot)
        } catch {
            try? model.setHead(nil, for: slot)
            stream.calibration?.head = nil
            log("\(stream.key): calibration head not applied: \(error)")
        }
        let baseline = calibration?.baseline
        model.setStepOffsets(Self.offsets(reference: model.idleReference, floor: baseline?.floor), for: slot)
        let smoother = smootherConfig(for: stream.lane, idleMotionEnergy: baseline?.idleMotionEnergy)
        if smoother != stream.smoother.config {
            if restartSmoother {
                stream.smoother.finish(time: stream.lastCaptureTime) { publish(time: $0, stream: stream.key, payload: $1) }
            }
            stream.replaceSmoother(EventSmoother(config: smoother))
        }
    }

    /// Ends a stream's baseline: stores and applies it, or replies why not (the previous calibration is kept).
    func finishBaseline(_ stream: Stream) {
        guard let collector = stream.baseline else { return }
        stream.baseline = nil
        guard let store = calibrationStore, let model = stream.lane?.classifier as? any CalibratableClassifier else { return }
        let baseline: RoomBaseline
        switch collector.result(created: Date(timeIntervalSince1970: wallClockNow)) {
        case .failure(let rejection): return collector.reply(Self.errorReply("calibration.baseline: \(stream.key): \(rejection)"))
        case .success(let value): baseline = value
        }
        var updated = stream.calibration
            ?? StreamCalibration(stream: stream.key, model: model.model.config.name, modelSHA256: model.modelSHA256)
        updated.baseline = baseline
        updated.created = baseline.created
        do {
            try store.save(updated)
        } catch {
            return collector.reply(Self.errorReply("calibration.baseline: \(error) (the previous calibration is kept)"))
        }
        apply(updated, to: stream, restartSmoother: true)
        let offsets = model.idleReference != nil
        var fields: [String: Any] = [
            "status": "baseline", "stream": stream.key, "file": store.path(for: stream.key), "created": baseline.created,
            "seconds": baseline.seconds, "windows": baseline.windows, "steps": baseline.steps, "idle_mean": baseline.idleMean,
            "active_fraction": baseline.activeFraction, "motion_mean": baseline.motionMean, "motion_std": baseline.motionStd,
            "idle_motion_energy": baseline.idleMotionEnergy, "offsets_applied": offsets, "head": updated.head != nil,
        ]
        if !offsets {
            fields["note"] = "the model declares no input.idle_reference: feature offsets not applied (idle motion threshold only)"
        }
        collector.reply(Self.reply(fields))
    }

    /// The smoother settings of a stream of `lane`'s model: the configured ones with the model's labels, and the
    /// baseline's idle motion threshold (no model: a placeholder).
    func smootherConfig(for lane: ClassifierLane?, idleMotionEnergy: Double?) -> SmootherConfig {
        guard let lane else { return SmootherConfig(labels: ["none"]) }
        var smoother = lane.smootherConfig(config.smoother, configured: config.configuredSmootherKeys)
        if let idleMotionEnergy { smoother.idleMotionEnergy = idleMotionEnergy }
        return smoother
    }

    /// `reference - floor` per feature, or nil when either is missing or their lengths differ.
    static func offsets(reference: [Float]?, floor: [Float]?) -> [Float]? {
        guard let reference, let floor, reference.count == floor.count else { return nil }
        return zip(reference, floor).map { $0 - $1 }
    }

    /// A `{"type":"calibration",...}` line (sorted keys).
    static func reply(_ fields: [String: Any]) -> String {
        var object = fields
        object["type"] = "calibration"
        return (try? JSONLine.string(object)) ?? "{\"type\":\"calibration\"}"
    }

    /// A `{"type":"error","message":...}` line.
    static func errorReply(_ message: String) -> String {
        String(decoding: SubscriberRequest.errorLine(message).dropLast(), as: UTF8.self)
    }
}
