/// Settings of ``EventSmoother``. Every duration is in SECONDS of capture time, so the same settings give the same
/// events whatever the window rate (2 Hz or 20 Hz).
public struct SmootherConfig: Sendable, Hashable {
    /// Class labels, aligned with the model's probabilities.
    public var labels: [String]
    /// Probabilities are averaged over the windows that ended within this many seconds.
    public var averagingSeconds: Double = 1.0
    /// An activity starts when its averaged probability reaches this ...
    public var enterConfidence: Double = 0.6
    /// ... and ends when it stays below this (hysteresis: `exitConfidence < enterConfidence`).
    public var exitConfidence: Double = 0.4
    /// A new activity must lead for this long before `activity.started` (flicker suppression).
    public var minimumSeconds: Double = 0.6
    /// The current activity must stay below `exitConfidence` (or idle) for this long before `activity.ended`.
    public var exitSeconds: Double = 0.6
    /// Below this top averaged probability the stream counts as idle (UT-HAR has no idle class).
    public var idleConfidence: Double = 0.45
    /// Below this averaged motion energy (dB^2) the stream counts as idle; 0 disables the motion test.
    public var idleMotionEnergy: Double = 0
    /// A model class meaning "nobody moving" (e.g. `idle` in models trained with an idle class): when it leads,
    /// the stream counts as idle and no activity is started for it. Absent label: only the confidence and motion
    /// tests decide idleness.
    public var idleLabel: String = "idle"
    /// The label that raises `fall.detected` (absent label: no fall events).
    public var fallLabel: String = "fall"
    /// Averaged fall probability that raises `fall.detected`.
    public var fallConfidence: Double = 0.7
    /// After a fall event, no other for this long (no "fall detected" floods).
    public var fallCooldownSeconds: Double = 10
    /// A jump in capture time longer than this resets the history (and ends the current activity).
    public var gapResetSeconds: Double = 5

    /// Creates a configuration with the defaults above.
    public init(labels: [String]) { self.labels = labels }

    /// Checks ranges; the message names the field.
    public func validate() throws(SmootherConfigError) {
        func require(_ ok: Bool, _ field: String, _ reason: String) throws(SmootherConfigError) {
            if !ok { throw SmootherConfigError(field: field, reason: reason) }
        }
        try require(!labels.isEmpty, "labels", "must not be empty")
        try require(averagingSeconds > 0 && averagingSeconds.isFinite, "averaging_seconds", "must be > 0")
        try require((0...1).contains(enterConfidence), "enter_confidence", "must be in 0...1")
        try require((0...1).contains(exitConfidence), "exit_confidence", "must be in 0...1")
        try require(exitConfidence <= enterConfidence, "exit_confidence", "must be <= enter_confidence")
        try require(minimumSeconds >= 0 && minimumSeconds.isFinite, "minimum_seconds", "must be >= 0")
        try require(exitSeconds >= 0 && exitSeconds.isFinite, "exit_seconds", "must be >= 0")
        try require((0...1).contains(idleConfidence), "idle_confidence", "must be in 0...1")
        try require(idleMotionEnergy >= 0 && idleMotionEnergy.isFinite, "idle_motion_energy", "must be >= 0")
        try require((0...1).contains(fallConfidence), "fall_confidence", "must be in 0...1")
        try require(fallCooldownSeconds >= 0 && fallCooldownSeconds.isFinite, "fall_cooldown_seconds", "must be >= 0")
        try require(gapResetSeconds > 0 && gapResetSeconds.isFinite, "gap_reset_seconds", "must be > 0")
    }
}

/// A bad smoother setting.
public struct SmootherConfigError: Error, Sendable, CustomStringConvertible {
    /// The offending field (config-file key).
    public var field: String
    /// Why it is rejected.
    public var reason: String
    /// `field: reason`.
    public var description: String { "\(field): \(reason)" }
}

/// Turns one stream's per-window probabilities into activity events:
/// time-window averaging -> idle test -> enter/exit hysteresis with minimum durations -> events; falls separately,
/// with a cooldown. Preallocated; not thread-safe (one per stream, owned by the pipeline thread).
public struct EventSmoother: Sendable {
    /// The settings.
    public let config: SmootherConfig
    /// The activity in progress (`nil` = idle).
    public private(set) var current: Int?

    /// Recent window end times, ring of `capacity`.
    private var times: [Double]
    /// Recent probabilities, (capacity, classes) ring rows aligned with `times`.
    private var history: [Float]
    /// Recent motion energies, (capacity,).
    private var motions: [Double]
    /// Ring start and count.
    private var head = 0, count = 0
    /// Averaged probabilities, (classes,).
    private var average: [Double]
    /// Capture time of the last window.
    private var lastTime: Double?
    /// Candidate activity (`nil` = idle candidate) and since when it leads.
    private var candidate: Int?, candidateSince = 0.0
    /// When the current activity started; sum and count of its confidence.
    private var currentStart = 0.0, currentConfidenceSum = 0.0, currentConfidenceCount = 0
    /// Since when the current activity has been below exit (nil = it is not).
    private var leavingSince: Double?
    /// Time of the last `fall.detected`.
    private var lastFall: Double?
    /// Index of the fall label, if the model has one.
    private let fallIndex: Int?
    /// Index of the idle label, if the model has one.
    private let idleIndex: Int?
    /// Durations are compared with this slack (seconds): window times are sums of float steps, and a span that is a
    /// whole number of hops (0.6 s = 3 x 0.2 s) must count as reached whatever the rounding noise, so that the
    /// same windows give the same events whether their times are exact or rounded to microseconds (NDJSON).
    static let tolerance = 1e-5

    /// Creates a smoother. `capacity` bounds the windows kept for averaging (enough for 200 windows/s over
    /// `averagingSeconds`; at higher rates the oldest fall out early).
    public init(config: SmootherConfig, capacity: Int? = nil) {
        self.config = config
        let rows = capacity ?? max(8, Int((config.averagingSeconds * 200).rounded(.up)))
        times = [Double](repeating: 0, count: rows)
        history = [Float](repeating: 0, count: rows * config.labels.count)
        motions = [Double](repeating: 0, count: rows)
        average = [Double](repeating: 0, count: config.labels.count)
        fallIndex = config.labels.firstIndex(of: config.fallLabel)
        idleIndex = config.labels.firstIndex(of: config.idleLabel)
    }

    /// Feeds one window that ended at capture time `time`; calls `emit(time, payload)` for each resulting event.
    public mutating func push(time: Double, probabilities: UnsafeBufferPointer<Float>, motionEnergy: Double,
                              emit: (Double, EventPayload) -> Void) {
        let classes = config.labels.count
        precondition(probabilities.count >= classes, "EventSmoother: fewer probabilities than labels")
        if let last = lastTime, time - last > config.gapResetSeconds || time < last {
            finish(time: last, emit: emit)
        }
        lastTime = time
        append(time: time, probabilities: probabilities, motionEnergy: motionEnergy)
        let motion = averaged()

        // Observed state: the leading class, or idle when unsure or still.
        var top = 0
        for index in 1..<classes where average[index] > average[top] { top = index }
        let still = config.idleMotionEnergy > 0 && motion < config.idleMotionEnergy
        let observed: Int? = (still || average[top] < config.idleConfidence || top == idleIndex) ? nil : top

        // Falls: separate from the activity state, rate-limited.
        if let fallIndex, !still, average[fallIndex] >= config.fallConfidence,
           lastFall.map({ time - $0 >= config.fallCooldownSeconds - Self.tolerance }) ?? true {
            lastFall = time
            emit(time, .fallDetected(confidence: average[fallIndex]))
        }

        // Leaving the current activity (hysteresis on its own averaged probability).
        if let active = current {
            currentConfidenceSum += average[active]
            currentConfidenceCount += 1
            if still || average[active] < config.exitConfidence {
                let since = leavingSince ?? time
                leavingSince = since
                if time - since >= config.exitSeconds - Self.tolerance { end(time: time, endedAt: since, emit: emit) }
            } else {
                leavingSince = nil
            }
        }

        // Entering a new activity: it must lead, above the enter threshold, for the minimum duration.
        if let next = observed, next != current, average[next] >= config.enterConfidence {
            if candidate != next { candidate = next; candidateSince = time }
            if time - candidateSince >= config.minimumSeconds - Self.tolerance {
                if current != nil { end(time: time, endedAt: candidateSince, emit: emit) }
                current = next
                currentStart = candidateSince
                currentConfidenceSum = average[next]
                currentConfidenceCount = 1
                leavingSince = nil
                candidate = nil
                emit(time, .activityStarted(activity: config.labels[next], confidence: average[next]))
            }
        } else {
            candidate = nil
        }
    }

    /// Convenience for arrays.
    public mutating func push(time: Double, probabilities: [Float], motionEnergy: Double,
                              emit: (Double, EventPayload) -> Void) {
        probabilities.withUnsafeBufferPointer { push(time: time, probabilities: $0, motionEnergy: motionEnergy, emit: emit) }
    }

    /// Ends the current activity (stream went down or a gap) and clears the history.
    public mutating func finish(time: Double, emit: (Double, EventPayload) -> Void) {
        if current != nil { end(time: time, endedAt: time, emit: emit) }
        head = 0; count = 0
        candidate = nil
        lastTime = nil
    }

    private mutating func end(time: Double, endedAt: Double, emit: (Double, EventPayload) -> Void) {
        guard let active = current else { return }
        let confidence = currentConfidenceCount > 0 ? currentConfidenceSum / Double(currentConfidenceCount) : 0
        emit(time, .activityEnded(activity: config.labels[active], confidence: confidence,
                                  duration: max(0, endedAt - currentStart)))
        current = nil
        leavingSince = nil
    }

    /// Adds a row to the ring, drops rows older than the averaging span.
    private mutating func append(time: Double, probabilities: UnsafeBufferPointer<Float>, motionEnergy: Double) {
        let rows = times.count, classes = config.labels.count
        if count == rows { head = (head + 1) % rows; count -= 1 }
        let slot = (head + count) % rows
        times[slot] = time
        motions[slot] = motionEnergy
        for index in 0..<classes { history[slot * classes + index] = probabilities[index] }
        count += 1
        while count > 1, times[head] <= time - config.averagingSeconds + Self.tolerance {
            head = (head + 1) % rows
            count -= 1
        }
    }

    /// Fills `average` with the mean probabilities of the ring; returns the mean motion energy.
    private mutating func averaged() -> Double {
        let rows = times.count, classes = config.labels.count
        for index in 0..<classes { average[index] = 0 }
        var motion = 0.0
        for offset in 0..<count {
            let slot = (head + offset) % rows
            motion += motions[slot]
            for index in 0..<classes { average[index] += Double(history[slot * classes + index]) }
        }
        let scale = 1 / Double(count)
        for index in 0..<classes { average[index] *= scale }
        return motion * scale
    }
}
