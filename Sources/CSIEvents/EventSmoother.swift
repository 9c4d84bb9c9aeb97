/// Turns one stream's per-window probabilities into activity events:
/// time-window averaging -> idle test -> enter/exit hysteresis with minimum durations -> events; falls separately,
/// confirmed and with a cooldown. Preallocated; not thread-safe (one per stream, owned by the pipeline thread).
///
/// Fall confirmation: when the averaged fall probability reaches `fallConfidence` (outside the cooldown), the fall
/// is only *pending*. If, within `fallConfirmSeconds`, a window shows a recovery (a `recoveryLabels` class leads the
/// observed state with an averaged probability of at least `enterConfidence`: the person walked, ran or stood up),
/// the fall is dropped and counted in ``fallsRejected``. It is also dropped when the fall probability averaged like
/// the others (over `averagingSeconds`) never reached `fallPeakConfidence` between the fall and the end of the
/// confirmation period: a real fall holds the fall class for about a second, a lookalike (the end of a walk into a
/// chair, a burst in a still room) only for a moment. Otherwise `fall.detected` is emitted by the first window at
/// or after the end of the confirmation period, with the fall's confidence and `fallTime`; the cooldown counts from
/// the fall itself. At ``finish(time:emit:)`` (stream down, capture-time gap, model reload) a pending fall is
/// reported at `time` if at least `min(1 s, fallConfirmSeconds)` of data followed it without a recovery and its peak
/// was reached, and dropped (also counted in ``fallsRejected``) otherwise: too little was seen after it to confirm
/// it. A fall first seen while
/// the person is already down (a `fallAlreadyDownLabels` activity is current, or ended less than
/// `fallAlreadyDownSeconds` ago and no `recoveryLabels` activity has been current since; and that down state began
/// at least `fallAlreadyDownMinimumSeconds` before: a lie down or sit down recognised just before the fall is
/// usually the fall's own onset) does not become pending and is counted once in ``fallsSuppressed``.
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
    /// Since when the observed state has been non-idle without a break (nil = idle now).
    private var movingSince: Double?
    /// When the last activity ended (its `endedAt`): an onset is never dated before it.
    private var lastEnd: Double?
    /// Capture time of the last reported fall (the fall itself, not its confirmation).
    private var lastFall: Double?
    /// A fall waiting for confirmation: its capture time, averaged confidence (over `fallAveragingSeconds`), and the
    /// highest fall probability averaged over `averagingSeconds` since.
    private var pendingFall: (time: Double, confidence: Double, peak: Double)?
    /// Per class: whether it is one of `recoveryLabels`, (classes,).
    private let recoveryMask: [Bool]
    /// Pending falls dropped because a recovery followed them (or the stream ended too soon after them).
    public private(set) var fallsRejected = 0
    /// Falls not reported because the person was already down when they were seen (one per rise of the fall
    /// average above `fallConfidence`).
    public private(set) var fallsSuppressed = 0
    /// Per class: whether it is one of `fallAlreadyDownLabels`, (classes,).
    private let downMask: [Bool]
    /// Capture time of the last window that ended with an already-down activity current.
    private var lastDown: Double?
    /// Capture time of the first window of the current already-down state (valid while `lastDown` is set).
    private var downSince = 0.0
    /// Whether the previous window's fall average was at or above `fallConfidence` while suppressed.
    private var suppressing = false
    /// Data that must follow a pending fall, at the end of a stream, for it to be reported (seconds).
    static let finishConfirmSeconds = 1.0
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
        recoveryMask = config.labels.map { config.recoveryLabels.contains($0) && $0 != config.fallLabel }
        downMask = config.labels.map { config.fallAlreadyDownLabels.contains($0) && $0 != config.fallLabel }
    }

    /// Feeds one window that ended at capture time `time`; calls `emit(time, payload)` for each resulting event.
    public mutating func push(time: Double, probabilities: UnsafeBufferPointer<Float>, motionEnergy: Double,
                              emit: (Double, EventPayload) -> Void) {
        let classes = config.labels.count
        precondition(probabilities.count >= classes, "EventSmoother: fewer probabilities than labels")
        if let last = lastTime, time - last > config.gapResetSeconds || time < last {
            finish(time: last, emit: emit)
            if time < last {
                // The capture clock went back (wall-clock step, NIC reset): times on the old timeline mean nothing
                // on the new one, and would hold back every fall until the new timeline passed them.
                lastFall = nil
                lastDown = nil
            }
        }
        lastTime = time
        append(time: time, probabilities: probabilities, motionEnergy: motionEnergy)
        let motion = averaged()

        // Observed state: the leading class, or idle when unsure or still.
        var top = 0
        for index in 1..<classes where average[index] > average[top] { top = index }
        let still = config.idleMotionEnergy > 0 && motion < config.idleMotionEnergy
        let observed: Int? = (still || average[top] < config.idleConfidence || top == idleIndex) ? nil : top
        if observed == nil { movingSince = nil } else if movingSince == nil { movingSince = time }

        // Falls: separate from the activity state, confirmed by what follows, rate-limited.
        if var pending = pendingFall, let fallIndex {
            pending.peak = max(pending.peak, average[fallIndex])
            pendingFall = pending
            if let next = observed, recoveryMask[next], average[next] >= config.enterConfidence {
                pendingFall = nil
                fallsRejected += 1
            } else if time - pending.time >= config.fallConfirmSeconds - Self.tolerance {
                pendingFall = nil
                if pending.peak >= config.fallPeakConfidence - Self.tolerance {
                    lastFall = pending.time
                    emit(time, .fallDetected(confidence: pending.confidence, fallTime: pending.time))
                } else {
                    fallsRejected += 1
                }
            }
        }
        if pendingFall == nil, let fallIndex, !still,
           case let fall = recentAverage(of: fallIndex, seconds: config.fallAveragingSeconds, now: time),
           fall >= config.fallConfidence,
           lastFall.map({ time - $0 >= config.fallCooldownSeconds - Self.tolerance }) ?? true {
            if let down = lastDown, time - down <= config.fallAlreadyDownSeconds + Self.tolerance,
               time - downSince >= config.fallAlreadyDownMinimumSeconds - Self.tolerance {
                if !suppressing { fallsSuppressed += 1 }
                suppressing = true
            } else if config.fallConfirmSeconds > 0 {
                suppressing = false
                pendingFall = (time, fall, average[fallIndex])
            } else {
                suppressing = false
                lastFall = time
                emit(time, .fallDetected(confidence: fall, fallTime: time))
            }
        } else {
            suppressing = false
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

        // Entering a new activity: it must lead for the minimum duration, counted from when it first led at or
        // above the enter threshold, and be at or above that threshold when it starts. A dip under the threshold
        // while it still leads does not restart the count (the same hysteresis as for leaving); another class
        // leading, or idle, does.
        if let next = observed, next != current {
            if candidate != next {
                candidate = average[next] >= config.enterConfidence ? next : nil
                candidateSince = time
            }
            if candidate == next, average[next] >= config.enterConfidence,
               time - candidateSince >= config.minimumSeconds - Self.tolerance {
                let onset = current == nil ? onsetFromIdle() : candidateSince
                if current != nil { end(time: time, endedAt: candidateSince, emit: emit) }
                current = next
                currentStart = onset - config.onsetLeadSeconds
                currentConfidenceSum = average[next]
                currentConfidenceCount = 1
                leavingSince = nil
                candidate = nil
                emit(time, .activityStarted(activity: config.labels[next], confidence: average[next],
                                            startTime: config.onsetLeadSeconds > 0 ? currentStart : nil))
            }
        } else {
            candidate = nil
        }
        // Already down while lying or sitting; a recognised recovery (stand up, walk, run) lifts it at once, so that
        // a fall soon after getting up is not taken for one seen from the chair or the bed.
        if let active = current {
            if downMask[active] {
                if lastDown.map({ time - $0 > config.fallAlreadyDownSeconds + Self.tolerance }) ?? true { downSince = time }
                lastDown = time
            } else if recoveryMask[active] {
                lastDown = nil
            }
        }
    }

    /// Convenience for arrays.
    public mutating func push(time: Double, probabilities: [Float], motionEnergy: Double,
                              emit: (Double, EventPayload) -> Void) {
        probabilities.withUnsafeBufferPointer { push(time: time, probabilities: $0, motionEnergy: motionEnergy, emit: emit) }
    }

    /// Ends the current activity (stream went down or a gap) and clears the history. A pending fall is reported at
    /// `time` when at least `min(1 s, fallConfirmSeconds)` passed since it without a recovery, else dropped.
    public mutating func finish(time: Double, emit: (Double, EventPayload) -> Void) {
        if let pending = pendingFall {
            pendingFall = nil
            let needed = min(Self.finishConfirmSeconds, config.fallConfirmSeconds)
            if time - pending.time >= needed - Self.tolerance,
               pending.peak >= config.fallPeakConfidence - Self.tolerance {
                lastFall = pending.time
                emit(time, .fallDetected(confidence: pending.confidence, fallTime: pending.time))
            } else {
                fallsRejected += 1
            }
        }
        if current != nil { end(time: time, endedAt: time, emit: emit) }
        head = 0; count = 0
        candidate = nil
        movingSince = nil
        lastEnd = nil
        suppressing = false
        lastTime = nil
    }

    /// The time an activity starting from idle is dated from (before ``SmootherConfig/onsetLeadSeconds``): when the
    /// stream stopped being idle, if earlier than when the activity began to lead, within
    /// ``SmootherConfig/onsetLookbackSeconds`` of that and not before the last activity's end.
    private func onsetFromIdle() -> Double {
        guard config.onsetLookbackSeconds > 0, let moving = movingSince, moving < candidateSince else { return candidateSince }
        var onset = max(moving, candidateSince - config.onsetLookbackSeconds)
        if let lastEnd { onset = max(onset, min(lastEnd, candidateSince)) }
        return onset
    }

    private mutating func end(time: Double, endedAt: Double, emit: (Double, EventPayload) -> Void) {
        guard let active = current else { return }
        lastEnd = endedAt
        let confidence = currentConfidenceCount > 0 ? currentConfidenceSum / Double(currentConfidenceCount) : 0
        emit(time, .activityEnded(activity: config.labels[active], confidence: confidence,
                                  duration: max(0, endedAt - config.onsetLeadSeconds - currentStart)))
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

    /// Mean probability of class `index` over the windows that ended after `now - seconds`.
    private func recentAverage(of index: Int, seconds: Double, now: Double) -> Double {
        let rows = times.count, classes = config.labels.count
        var sum = 0.0, n = 0
        for offset in stride(from: count - 1, through: 0, by: -1) {
            let slot = (head + offset) % rows
            guard times[slot] > now - seconds + Self.tolerance || n == 0 else { break }
            sum += Double(history[slot * classes + index])
            n += 1
        }
        return n > 0 ? sum / Double(n) : 0
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
