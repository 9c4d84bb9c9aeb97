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
    /// A new activity must lead for this long before `activity.started` (flicker suppression), counted from when it
    /// first led at or above `enterConfidence`; a dip under `enterConfidence` while it still leads does not restart
    /// the count, but it must be at or above `enterConfidence` again to start.
    public var minimumSeconds: Double = 0.6
    /// How long before a window's end the activity it shows is taken to have begun: `activity.started` reports
    /// `start_time` = (time the activity first led) - this; its end is estimated the same way (the time it fell
    /// below `exitConfidence` - this), and `activity.ended`'s duration is the difference of the two. The
    /// daemon sets it to half the model's window (a window leads once the activity fills about half of it) plus
    /// half of `averagingSeconds` (the lag of the probability average).
    public var onsetLeadSeconds: Double = 0
    /// An activity that starts from idle is dated from when the stream stopped being idle (its observed state
    /// non-idle without a break since), when that is earlier than the time the activity began to lead: the first
    /// windows of a movement often show another class (a walk's first second read as a run), and the start would
    /// otherwise come late by that long. At most this many seconds earlier, and never before the previous
    /// activity's end; 0 turns it off (the start then counts from the time the activity first led). 1 s was chosen on
    /// the validation recordings of every shipped model (BENCHMARKS.md, "Onsets dated from the end of stillness").
    public var onsetLookbackSeconds: Double = 1
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
    /// The fall probability is averaged over the windows that ended within this many seconds (shorter than
    /// `averagingSeconds`: a fall is over in about a second, and a long average dilutes it below any threshold).
    public var fallAveragingSeconds: Double = 0.4
    /// After a fall event, no other for this long (no "fall detected" floods); counted from the fall itself.
    public var fallCooldownSeconds: Double = 10
    /// A fall is reported only when this many seconds after it show no recovery (see ``recoveryLabels``):
    /// `fall.detected` then comes at the end of this period. 0 reports a fall as soon as it is seen.
    public var fallConfirmSeconds: Double = 2
    /// A pending fall is reported only if the fall probability, averaged over ``averagingSeconds`` like the other
    /// classes, reaches this value at some window from the fall to the end of ``fallConfirmSeconds``; otherwise it
    /// is dropped (``EventSmoother/fallsRejected``). 0 turns this off; it does not apply when `fallConfirmSeconds`
    /// is 0.
    public var fallPeakConfidence: Double = 0.9
    /// Labels that, leading with an averaged probability of at least `enterConfidence` while a fall waits for
    /// confirmation, show that the person got up and moved on: the fall is dropped (``EventSmoother/fallsRejected``).
    /// Labels the model does not have are ignored.
    public var recoveryLabels: Set<String> = ["walk", "run", "stand up"]
    /// Labels meaning the person is already down (lying or seated): a fall first seen while one of them is the
    /// current activity, or within ``fallAlreadyDownSeconds`` after it ended, is not reported (nobody falls to the
    /// floor from lying down; the end of a quick lie-down looks like the end of a fall) and is counted in
    /// ``EventSmoother/fallsSuppressed``. A fall already waiting for confirmation is not affected (a fallen person
    /// may be classified as lying). A ``recoveryLabels`` activity becoming current (the person stood up, walked or
    /// ran) ends the already-down state at once. Labels the model does not have are ignored; an empty set turns this
    /// off.
    public var fallAlreadyDownLabels: Set<String> = ["lie down", "sit down"]
    /// How long after an already-down activity ends a fall is still not reported, unless a recovery activity became
    /// current in between (seconds).
    public var fallAlreadyDownSeconds: Double = 3
    /// An already-down state counts only once it has lasted this long (seconds, from the first window with a
    /// ``fallAlreadyDownLabels`` activity current): the start of a fall is often recognised as lie down or sit down
    /// for a moment before the fall itself, and such a fall must still be reported.
    public var fallAlreadyDownMinimumSeconds: Double = 1.5
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
        try require(onsetLeadSeconds >= 0 && onsetLeadSeconds.isFinite, "onset_lead_seconds", "must be >= 0")
        try require(onsetLookbackSeconds >= 0 && onsetLookbackSeconds.isFinite, "onset_lookback_seconds", "must be >= 0")
        try require(exitSeconds >= 0 && exitSeconds.isFinite, "exit_seconds", "must be >= 0")
        try require((0...1).contains(idleConfidence), "idle_confidence", "must be in 0...1")
        try require(idleMotionEnergy >= 0 && idleMotionEnergy.isFinite, "idle_motion_energy", "must be >= 0")
        try require((0...1).contains(fallConfidence), "fall_confidence", "must be in 0...1")
        try require(fallAveragingSeconds > 0 && fallAveragingSeconds <= averagingSeconds, "fall_averaging_seconds",
                    "must be > 0 and <= averaging_seconds")
        try require(fallCooldownSeconds >= 0 && fallCooldownSeconds.isFinite, "fall_cooldown_seconds", "must be >= 0")
        try require(fallPeakConfidence >= 0 && fallPeakConfidence <= 1, "fall_peak_confidence", "must be in 0...1")
        try require(fallConfirmSeconds >= 0 && fallConfirmSeconds.isFinite, "fall_confirm_seconds", "must be >= 0")
        try require(!recoveryLabels.contains(""), "fall_recovery_labels", "must not contain an empty label")
        try require(!recoveryLabels.contains(fallLabel), "fall_recovery_labels",
                    "must not contain the fall label '\(fallLabel)'")
        try require(!fallAlreadyDownLabels.contains(""), "fall_already_down_labels", "must not contain an empty label")
        try require(!fallAlreadyDownLabels.contains(fallLabel), "fall_already_down_labels",
                    "must not contain the fall label '\(fallLabel)'")
        try require(fallAlreadyDownSeconds >= 0 && fallAlreadyDownSeconds.isFinite, "fall_already_down_seconds",
                    "must be >= 0")
        try require(fallAlreadyDownMinimumSeconds >= 0 && fallAlreadyDownMinimumSeconds.isFinite,
                    "fall_already_down_minimum_seconds", "must be >= 0")
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
