import Testing
@testable import CSIEvents

/// Probabilities as a function of capture time, sampled at any window rate.
private let labels = ["lie down", "fall", "walk", "pick up", "run", "sit down", "stand up"]

private func oneHot(_ label: String, _ confidence: Float = 0.9) -> [Float] {
    let rest = (1 - confidence) / Float(labels.count - 1)
    return labels.map { $0 == label ? confidence : rest }
}

/// Runs `script(time)` at `rate` windows/s from 0 to `duration`, returns (time, payload) events.
private func run(_ config: SmootherConfig, rate: Double, duration: Double,
                 motion: (Double) -> Double = { _ in 10 },
                 script: (Double) -> [Float]) -> [(Double, EventPayload)] {
    runSmoother(config, rate: rate, duration: duration, motion: motion, script: script).events
}

/// ``run(_:rate:duration:motion:script:)`` that also returns the smoother, for its counters.
private func runSmoother(_ config: SmootherConfig, rate: Double, duration: Double,
                         motion: (Double) -> Double = { _ in 10 },
                         script: (Double) -> [Float]) -> (events: [(Double, EventPayload)], smoother: EventSmoother) {
    var smoother = EventSmoother(config: config)
    var events: [(Double, EventPayload)] = []
    let count = Int(duration * rate)
    for index in 0...count {
        let time = Double(index) / rate
        smoother.push(time: time, probabilities: script(time), motionEnergy: motion(time)) { events.append(($0, $1)) }
    }
    smoother.finish(time: duration) { events.append(($0, $1)) }
    return (events, smoother)
}

/// A script of one-hot (0.95) phases: `phases` until each end time, then `last`.
private func phases(_ phases: [(until: Double, label: String)], then last: String) -> (Double) -> [Float] {
    { t in oneHot(phases.first { t < $0.until }?.label ?? last, 0.95) }
}

/// The `fall.detected` events: (event time, fall time, confidence).
private func falls(_ events: [(Double, EventPayload)]) -> [(time: Double, fallTime: Double, confidence: Double)] {
    events.compactMap { event in
        guard case .fallDetected(let confidence, let fallTime) = event.1 else { return nil }
        return (event.0, fallTime ?? .nan, confidence)
    }
}

private func summary(_ events: [(Double, EventPayload)]) -> [String] {
    events.map { event in
        switch event.1 {
        case .activityStarted(let activity, _, _): return "start \(activity)"
        case .activityEnded(let activity, _, _): return "end \(activity)"
        case .fallDetected: return "fall"
        default: return "other"
        }
    }
}

@Suite struct EventSmootherTests {
    /// walk 0-4 s, still 4-6 s, sit down 6-9 s, still after.
    private func script(_ time: Double) -> [Float] {
        if time < 4 { return oneHot("walk") }
        if time < 6 { return [Float](repeating: 1 / 7, count: 7) }
        if time < 9 { return oneHot("sit down") }
        return [Float](repeating: 1 / 7, count: 7)
    }

    @Test func aConfidentIdleClassEndsTheActivityAndStartsNothing() {
        let withIdle = labels + ["idle"]
        let config = SmootherConfig(labels: withIdle)
        // walk 0-4 s, then the model is sure nobody moves (idle 0.9) 4-8 s.
        let events = run(config, rate: 5, duration: 8) { time in
            withIdle.map { label in
                let leader = time < 4 ? "walk" : "idle"
                return label == leader ? 0.9 : 0.1 / Float(withIdle.count - 1)
            }
        }
        #expect(summary(events) == ["start walk", "end walk"])
        let ended = events.first { if case .activityEnded = $0.1 { return true }; return false }?.0 ?? 0
        print("walk -> confident idle: walk ended at \(ended) s (true change 4 s)")
        #expect(ended > 4 && ended < 6)
    }

    @Test func sameEventsAtTwoAndTwentyHertz() {
        let config = SmootherConfig(labels: labels)
        let slow = run(config, rate: 2, duration: 12, script: script)
        let fast = run(config, rate: 20, duration: 12, script: script)
        #expect(summary(slow) == ["start walk", "end walk", "start sit down", "end sit down"])
        #expect(summary(slow) == summary(fast))
        var maxdiff = 0.0
        for (a, b) in zip(slow, fast) { maxdiff = max(maxdiff, abs(a.0 - b.0)) }
        print("EventSmoother 2 Hz vs 20 Hz event time maxdiff \(maxdiff) s")
        #expect(maxdiff <= 0.5 + 1e-9)
        // Durations are in seconds too.
        for case (_, .activityEnded(let activity, _, let duration)) in fast + slow {
            #expect(abs(duration - (activity == "walk" ? 4 : 3)) < 0.7, "\(activity) lasted \(duration) s")
        }
    }

    /// Window times with float noise (sums of float steps, as the feature pipeline makes them; here +-1 ns) and the
    /// same times rounded to microseconds (as a subscriber reads them in NDJSON) give the same events at the same
    /// windows: spans that are whole numbers of hops (minimum 0.6 s = 3 x 0.2 s) count as reached despite the noise.
    @Test func roundingNoiseInWindowTimesDoesNotMoveDecisions() {
        func run(rounded: Bool) -> [String] {
            var smoother = EventSmoother(config: SmootherConfig(labels: labels))
            var events: [String] = []
            for index in 0..<60 {
                let probabilities = oneHot(index < 30 ? "walk" : index >= 40 ? "sit down" : "fall",
                                           index < 10 || (index >= 30 && index < 40) ? 0.1 : 1)
                let noisy = 814.185023 + 0.2 * Double(index) + (index % 2 == 0 ? 1e-9 : -1e-9)
                let time = rounded ? (noisy * 1e6).rounded() / 1e6 : noisy
                smoother.push(time: time, probabilities: probabilities, motionEnergy: 10) { at, payload in
                    events.append("\(summary([(at, payload)])[0]) @\(index)")
                }
            }
            return events
        }
        let exact = run(rounded: false), rounded = run(rounded: true)
        print("noisy times: \(exact)\nrounded times: \(rounded)")
        #expect(exact == rounded)
        // Walk reaches 0.66 >= 0.6 averaged over 1 s (5 windows) at window 12 and starts 0.6 s (3 windows) later.
        #expect(exact.first == "start walk @15")
    }

    @Test func flickerIsSuppressed() {
        // walk, with a single-window flicker to "run" every second (at 20 Hz).
        let config = SmootherConfig(labels: labels)
        let events = run(config, rate: 20, duration: 6) { time in
            let phase = Int((time * 20).rounded()) % 20
            return phase == 0 ? oneHot("run", 0.95) : oneHot("walk")
        }
        #expect(summary(events) == ["start walk", "end walk"])
        // Alternating classes every 0.3 s never sustain a start.
        let alternating = run(config, rate: 20, duration: 6) { time in
            Int(time / 0.3) % 2 == 0 ? oneHot("run", 0.95) : oneHot("walk", 0.95)
        }
        #expect(summary(alternating).isEmpty)
    }

    @Test func aDipUnderTheEnterThresholdWhileLeadingDoesNotRestartTheCount() {
        var config = SmootherConfig(labels: labels)
        config.averagingSeconds = 0.05   // one window: the script's confidences are the averages
        config.minimumSeconds = 1.3
        // idle-like (all 1/7) until 1 s; stand up leads from 1 s, at 0.55 (under enter 0.6, still leading) for
        // 1.5-1.7 s, back at 0.9 after: it starts at 2.3 s (1.3 s after 1 s), not 1.3 s after the dip.
        let dip = run(config, rate: 10, duration: 4) { time in
            if time < 1 - 1e-9 { return [Float](repeating: 1 / 7, count: 7) }
            return (1.5 - 1e-9...1.7 + 1e-9).contains(time) ? oneHot("stand up", 0.55) : oneHot("stand up", 0.9)
        }
        let starts = dip.filter { if case .activityStarted = $0.1 { return true }; return false }
        #expect(starts.count == 1)
        #expect(abs((starts.first?.0 ?? -1) - 2.3) < 1e-6, "started at \(starts.first?.0 ?? -1)")
        // Another class leading in between does restart it: stand up 1-1.6 s, walk 1.6-1.8 s, stand up after.
        let interrupted = run(config, rate: 10, duration: 4) { time in
            if time < 1 - 1e-9 { return [Float](repeating: 1 / 7, count: 7) }
            return (1.6 - 1e-9...1.8 + 1e-9).contains(time) ? oneHot("walk", 0.9) : oneHot("stand up", 0.9)
        }
        let firstStart = interrupted.first { if case .activityStarted = $0.1 { return true }; return false }
        #expect(abs((firstStart?.0 ?? -1) - 3.2) < 1e-6, "started at \(firstStart?.0 ?? -1)")
        // A class that never reaches the enter threshold never starts, however long it leads.
        let weak = run(config, rate: 10, duration: 4) { _ in oneHot("stand up", 0.55) }
        #expect(summary(weak).isEmpty)
    }

    /// The start times (`start_time`) of the `activity.started` events.
    private func startTimes(_ events: [(Double, EventPayload)]) -> [Double] {
        events.compactMap { event in
            guard case .activityStarted(_, _, let start) = event.1 else { return nil }
            return start ?? event.0
        }
    }

    @Test func anOnsetFromIdleIsDatedFromWhenTheStreamStoppedBeingIdle() {
        var config = SmootherConfig(labels: labels)
        config.averagingSeconds = 0.05   // one window: the script's confidences are the averages
        config.onsetLeadSeconds = 0.5
        config.minimumSeconds = 1.3
        config.onsetLookbackSeconds = 0
        // idle until 2 s, the walk's first second read as run (too short to start), walk from 3 s: the walk leads
        // from 3 s; the stream has moved since 2 s.
        let script: (Double) -> [Float] = { time in
            if time < 2 - 1e-9 { return [Float](repeating: 1 / 7, count: 7) }
            return time < 3 - 1e-9 ? oneHot("run", 0.9) : oneHot("walk", 0.9)
        }
        let off = run(config, rate: 10, duration: 6, script: script)
        #expect(summary(off) == ["start walk", "end walk"])
        #expect(abs((startTimes(off).first ?? -1) - 2.5) < 1e-6, "off: \(startTimes(off))")    // 3 - 0.5
        config.onsetLookbackSeconds = 2
        let back = run(config, rate: 10, duration: 6, script: script)
        #expect(summary(back) == ["start walk", "end walk"])
        #expect(abs((startTimes(back).first ?? -1) - 1.5) < 1e-6, "lookback 2 s: \(startTimes(back))")   // 2 - 0.5
        // bounded by the lookback: 0.4 s before the walk led
        config.onsetLookbackSeconds = 0.4
        let bounded = run(config, rate: 10, duration: 6, script: script)
        #expect(abs((startTimes(bounded).first ?? -1) - 2.1) < 1e-6, "lookback 0.4 s: \(startTimes(bounded))")
        // never before the previous activity's end: walk 0-2 s, then 1 s of pick up at 0.5 (the stream moves, but
        // pick up stays under the enter threshold and the walk under exit: the walk ends, 2 s), then run from 3 s;
        // the stream has been moving since 0 s, but the run is not dated back into the walk
        config.onsetLookbackSeconds = 4
        config.exitSeconds = 0.5
        let after = run(config, rate: 10, duration: 7) { time in
            if time < 2 - 1e-9 { return oneHot("walk", 0.9) }
            return time < 3 - 1e-9 ? oneHot("pick up", 0.5) : oneHot("run", 0.9)
        }
        #expect(summary(after) == ["start walk", "end walk", "start run", "end run"], "\(summary(after))")
        let ends = after.compactMap { event -> Double? in
            if case .activityEnded = event.1 { return event.0 }; return nil
        }
        let runStart = startTimes(after).last ?? -1
        // the walk ended (endedAt) at 2.0 s, so the run counts from 2.0 s at the earliest: 2.0 - 0.5
        #expect(abs(runStart - 1.5) < 1e-6, "run start \(runStart), ends \(ends)")
        // an activity that follows another one directly keeps its own lead time
        let direct = run(config, rate: 10, duration: 7) { time in
            time < 3 - 1e-9 ? oneHot("walk", 0.9) : oneHot("run", 0.9)
        }
        #expect(abs((startTimes(direct).last ?? -1) - 2.5) < 1e-6, "direct: \(startTimes(direct))")
    }

    @Test func hysteresisKeepsAnActivityThroughAShortDip() {
        let config = SmootherConfig(labels: labels)
        // walk confidence dips to 0.5 (between exit 0.4 and enter 0.6) for 2 s: still walking.
        let events = run(config, rate: 10, duration: 8) { time in
            (3...5).contains(time) ? oneHot("walk", 0.5) : oneHot("walk", 0.9)
        }
        #expect(summary(events) == ["start walk", "end walk"])
    }

    @Test func fallCooldownPreventsFloods() {
        var config = SmootherConfig(labels: labels)
        config.fallCooldownSeconds = 10
        // Falls at 1-3 s, 5-7 s (within cooldown) and 14-16 s; nobody gets up in between (no leading class).
        let script = { (time: Double) -> [Float] in
            (1..<3).contains(time) || (5..<7).contains(time) || (14..<16).contains(time) ? oneHot("fall", 0.95) : oneHot("lie down", 0.3)
        }
        let fast = falls(run(config, rate: 20, duration: 20, script: script))
        #expect(fast.count == 2)
        if fast.count == 2 {
            #expect(fast[1].fallTime - fast[0].fallTime >= 10)
            #expect((1...2).contains(fast[0].fallTime) && (14...15).contains(fast[1].fallTime))
            // Each reported once its 2 s of confirmation have passed.
            for fall in fast { #expect(abs(fall.time - fall.fallTime - 2) < 1e-6, "\(fall)") }
        }
        let slow = falls(run(config, rate: 2, duration: 20, script: script))
        #expect(slow.count == 2)
        for fall in slow { #expect(fall.time - fall.fallTime >= 2 - 1e-6 && fall.time - fall.fallTime < 2.5, "\(fall)") }
    }

    /// fall 2-3 s, then lying still ("lie down" leads, not a recovery class) to 8 s.
    private func fallThenLying(_ time: Double) -> [Float] {
        time < 2 ? oneHot("lie down", 0.3) : time < 3 ? oneHot("fall", 0.95) : oneHot("lie down", 0.9)
    }

    @Test func fallFollowedByLyingStillIsReportedWhenTheConfirmationEnds() {
        let config = SmootherConfig(labels: labels)
        #expect(config.fallConfirmSeconds == 2)
        let (events, smoother) = runSmoother(config, rate: 10, duration: 8, script: fallThenLying)
        let reported = falls(events)
        #expect(reported.count == 1)
        guard let fall = reported.first else { return }
        print("fall at \(fall.fallTime) s reported at \(fall.time) s, confidence \(fall.confidence)")
        #expect(fall.fallTime > 2 && fall.fallTime < 3)
        #expect(abs(fall.time - (fall.fallTime + 2)) < 1e-6)
        #expect(fall.confidence >= 0.7)
        #expect(smoother.fallsRejected == 0)

        // With no confirmation the same fall is reported at once, with the same confidence (the old behaviour).
        var immediate = config
        immediate.fallConfirmSeconds = 0
        let direct = falls(run(immediate, rate: 10, duration: 8, script: fallThenLying))
        #expect(direct.count == 1)
        if let first = direct.first {
            #expect(first.time == first.fallTime && abs(first.time - fall.fallTime) < 1e-9)
            #expect(first.confidence == fall.confidence)
        }
    }

    /// A fall is a short burst in the window probabilities (0.4 s at 5 windows/s): the 1 s activity average
    /// dilutes it below `fall_confidence`, the fall's own 0.4 s average does not; 0.4 s of fall at 0.45 does
    /// not reach 0.7 either way.
    @Test func shortFallBurstIsSeenThroughItsOwnAverage() {
        var config = SmootherConfig(labels: labels)
        config.fallConfirmSeconds = 0
        let burst: (Double) -> [Float] = { t in (t >= 2 && t < 2.4) ? oneHot("fall", 0.9) : oneHot("lie down", 0.5) }
        let short = falls(run(config, rate: 5, duration: 6, script: burst))
        #expect(short.count == 1)
        if let first = short.first { #expect(abs(first.time - 2.2) < 1e-9 && first.confidence >= 0.7) }
        config.fallAveragingSeconds = 1.0
        #expect(falls(run(config, rate: 5, duration: 6, script: burst)).isEmpty, "a 1 s average dilutes the burst")
        config.fallAveragingSeconds = 0.4
        let weak: (Double) -> [Float] = { t in (t >= 2 && t < 2.4) ? oneHot("fall", 0.45) : oneHot("lie down", 0.5) }
        #expect(falls(run(config, rate: 5, duration: 6, script: weak)).isEmpty)
        config.fallAveragingSeconds = 2
        #expect(throws: SmootherConfigError.self) { try config.validate() }
    }

    @Test func fallFollowedByWalkingIsRejected() {
        let config = SmootherConfig(labels: labels)
        for recovery in ["walk", "run", "stand up"] {
            let (events, smoother) = runSmoother(config, rate: 10, duration: 8) { time in
                time < 2 ? oneHot("lie down", 0.3) : time < 3 ? oneHot("fall", 0.95) : oneHot(recovery, 0.95)
            }
            #expect(falls(events).isEmpty, "\(recovery): \(summary(events))")
            #expect(smoother.fallsRejected == 1, "\(recovery)")
            #expect(summary(events).contains("start \(recovery)"))
        }
        // A class outside `recoveryLabels` does not cancel it.
        var custom = config
        custom.recoveryLabels = ["run"]
        let (events, smoother) = runSmoother(custom, rate: 10, duration: 8) { time in
            time < 2 ? oneHot("lie down", 0.3) : time < 3 ? oneHot("fall", 0.95) : oneHot("walk", 0.95)
        }
        #expect(falls(events).count == 1 && smoother.fallsRejected == 0)
    }

    @Test func aClockStepBackForgetsTheOldTimeline() {
        // A fall at ~3 s, then the capture clock jumps back by 100 s: a lie-down and a fall on the old timeline
        // must neither suppress (already down) nor hold back (cooldown) a fall on the new one.
        var smoother = EventSmoother(config: SmootherConfig(labels: labels))
        var falls: [Double] = []
        func feed(from: Double, to: Double, _ script: (Double) -> [Float]) {
            var t = from
            while t <= to + 1e-9 {
                smoother.push(time: t, probabilities: script(t), motionEnergy: 10) { _, payload in
                    if case .fallDetected(_, let fallTime) = payload { falls.append(fallTime ?? .nan) }
                }
                t += 0.2
            }
        }
        feed(from: 100, to: 110) { t in
            t < 102 ? oneHot("idle", 0.95) : t < 103 ? oneHot("fall", 0.95) : t < 106 ? oneHot("idle", 0.95)
                : t < 108 ? oneHot("lie down", 0.95) : oneHot("idle", 0.95)
        }
        #expect(falls.count == 1)
        feed(from: 10, to: 18) { t in t < 12 ? oneHot("idle", 0.95) : t < 13 ? oneHot("fall", 0.95) : oneHot("idle", 0.95) }
        #expect(falls.count == 2, "the fall after the clock step is reported: \(falls)")
        #expect(smoother.fallsSuppressed == 0)
    }

    @Test func aFallSeenWhileAlreadyDownIsNotReported() {
        let config = SmootherConfig(labels: labels)
        // Lying down 0-3 s (current from ~0.6 s), then a fall-like burst at 4-5 s (1 s after lie down ended at
        // about 3.6 s), then still: suppressed and counted once.
        let afterLieDown: (Double) -> [Float] = { t in
            t < 3 ? oneHot("lie down", 0.95) : (t >= 4 && t < 5) ? oneHot("fall", 0.95) : oneHot("idle", 0.95)
        }
        let (events, smoother) = runSmoother(config, rate: 5, duration: 10, script: afterLieDown)
        #expect(falls(events).isEmpty, "\(summary(events))")
        #expect(smoother.fallsSuppressed == 1 && smoother.fallsRejected == 0)
        // The same burst long after the lie-down (beyond fall_already_down_seconds) is a fall.
        let later: (Double) -> [Float] = { t in
            t < 3 ? oneHot("lie down", 0.95) : (t >= 9 && t < 10) ? oneHot("fall", 0.95) : oneHot("idle", 0.95)
        }
        let (laterEvents, laterSmoother) = runSmoother(config, rate: 5, duration: 15, script: later)
        #expect(falls(laterEvents).count == 1 && laterSmoother.fallsSuppressed == 0, "\(summary(laterEvents))")
        // Without already-down labels the first burst is reported.
        var off = config
        off.fallAlreadyDownLabels = []
        #expect(falls(runSmoother(off, rate: 5, duration: 10, script: afterLieDown).events).count == 1)
        // A fall followed by lying (the fallen person classified as lying) is still reported.
        let fallThenLie: (Double) -> [Float] = { t in
            t < 2 ? oneHot("idle", 0.95) : t < 3 ? oneHot("fall", 0.95) : oneHot("lie down", 0.95)
        }
        #expect(falls(runSmoother(config, rate: 5, duration: 8, script: fallThenLie).events).count == 1)
        var bad = config
        bad.fallAlreadyDownLabels = ["fall"]
        do { try bad.validate(); Issue.record("accepted") } catch { #expect(error.field == "fall_already_down_labels") }
        bad = config
        bad.fallAlreadyDownSeconds = -1
        do { try bad.validate(); Issue.record("accepted") } catch { #expect(error.field == "fall_already_down_seconds") }
    }

    @Test func standingUpEndsTheAlreadyDownState() {
        let config = SmootherConfig(labels: labels)
        // Sitting 0-3 s, standing up 3-5 s, a fall at 5-6 s, then still: the recognised stand up lifts the
        // already-down state although the sit down ended less than fall_already_down_seconds before the fall.
        let getUpThenFall = phases([(3, "sit down"), (5, "stand up"), (6, "fall")], then: "idle")
        let (events, smoother) = runSmoother(config, rate: 5, duration: 12, script: getUpThenFall)
        #expect(falls(events).count == 1 && smoother.fallsSuppressed == 0, "\(summary(events))")
        // The same burst after sitting and a still pause (no recovery seen) stays suppressed.
        let sitThenFall = phases([(3, "sit down"), (5, "idle"), (6, "fall")], then: "idle")
        let (stillEvents, stillSmoother) = runSmoother(config, rate: 5, duration: 12, script: sitThenFall)
        #expect(falls(stillEvents).isEmpty && stillSmoother.fallsSuppressed == 1, "\(summary(stillEvents))")
    }

    @Test func aFallWhoseOnsetLooksLikeLyingDownIsStillReported() {
        let config = SmootherConfig(labels: labels)
        // Idle, then the fall's first second classified as lie down (it becomes current for a moment), the fall,
        // then the fallen person classified as lying: the down state is younger than
        // fall_already_down_minimum_seconds when the fall is seen, so the fall is reported.
        let onsetAsLieDown = phases([(2, "idle"), (3.2, "lie down"), (4.2, "fall")], then: "lie down")
        let (events, smoother) = runSmoother(config, rate: 5, duration: 10, script: onsetAsLieDown)
        #expect(falls(events).count == 1 && smoother.fallsSuppressed == 0, "\(summary(events))")
        #expect(events.contains { event in
            if case .activityStarted(let activity, _, _) = event.1 { return activity == "lie down" && event.0 < 3.8 }
            return false
        }, "lie down is current before the fall: \(summary(events))")
        // Without the minimum the same fall is taken for one seen while already lying.
        var noMinimum = config
        noMinimum.fallAlreadyDownMinimumSeconds = 0
        let (strict, strictSmoother) = runSmoother(noMinimum, rate: 5, duration: 10, script: onsetAsLieDown)
        #expect(falls(strict).isEmpty && strictSmoother.fallsSuppressed == 1, "\(summary(strict))")
        var bad = config
        bad.fallAlreadyDownMinimumSeconds = .nan
        do { try bad.validate(); Issue.record("accepted") } catch {
            #expect(error.field == "fall_already_down_minimum_seconds")
        }
    }

    @Test func aFallThatNeverHoldsIsDropped() {
        let config = SmootherConfig(labels: labels)
        // A 0.6 s burst of the fall class: its 0.4 s average passes fall_confidence (0.7), but averaged over 1 s like
        // the other classes it peaks at about 0.57, below fall_peak_confidence (0.9): dropped, counted as rejected.
        let blip = phases([(3, "idle"), (3.6, "fall")], then: "idle")
        let (events, smoother) = runSmoother(config, rate: 5, duration: 10, script: blip)
        #expect(falls(events).isEmpty && smoother.fallsRejected == 1, "\(summary(events))")
        // A fall held for a second passes.
        let held = phases([(3, "idle"), (4.2, "fall")], then: "idle")
        #expect(falls(runSmoother(config, rate: 5, duration: 10, script: held).events).count == 1)
        // fall_peak_confidence = 0 reports the burst; so does fall_confirm_seconds = 0 (no confirmation at all).
        var off = config
        off.fallPeakConfidence = 0
        #expect(falls(runSmoother(off, rate: 5, duration: 10, script: blip).events).count == 1)
        var atOnce = config
        atOnce.fallConfirmSeconds = 0
        #expect(falls(runSmoother(atOnce, rate: 5, duration: 10, script: blip).events).count == 1)
        var bad = config
        bad.fallPeakConfidence = 1.5
        do { try bad.validate(); Issue.record("accepted") } catch { #expect(error.field == "fall_peak_confidence") }
    }

    @Test func aFallPendingAtTheEndOfTheStreamNeedsOneSecondAfterIt() {
        var config = SmootherConfig(labels: labels)
        config.fallAveragingSeconds = 1          // the fall probability averaged like the others (1 s)
        // The fall is seen at 2.7 s; the stream ends 0.8 s later (dropped) or 1.3 s later (reported at its end).
        let short = runSmoother(config, rate: 10, duration: 3.5, script: fallThenLying)
        #expect(falls(short.events).isEmpty && short.smoother.fallsRejected == 1)
        let long = runSmoother(config, rate: 10, duration: 4, script: fallThenLying)
        #expect(falls(long.events).count == 1 && long.smoother.fallsRejected == 0)
        if let fall = falls(long.events).first { #expect(fall.time == 4 && fall.fallTime < 3) }
    }

    @Test func lowMotionMeansIdleWhateverTheModelSays() {
        var config = SmootherConfig(labels: labels)
        config.idleMotionEnergy = 1
        let events = run(config, rate: 10, duration: 10, motion: { $0 < 5 ? 5 : 0.1 }) { _ in oneHot("walk") }
        #expect(summary(events) == ["start walk", "end walk"])
        // Motion is averaged over 1 s, then the exit must hold 0.6 s: ended by 7 s, lasting about 5 s.
        if case .activityEnded(_, _, let duration) = events[1].1 { #expect(abs(duration - 5) < 1) }
        #expect(events[1].0 < 7)
    }

    @Test func captureTimeGapEndsTheActivity() {
        let config = SmootherConfig(labels: labels)
        var smoother = EventSmoother(config: config)
        var events: [(Double, EventPayload)] = []
        for index in 0..<30 { smoother.push(time: Double(index) * 0.1, probabilities: oneHot("run"), motionEnergy: 1) { events.append(($0, $1)) } }
        smoother.push(time: 100, probabilities: oneHot("run"), motionEnergy: 1) { events.append(($0, $1)) }
        #expect(summary(events) == ["start run", "end run"])
    }

    @Test func invalidConfigNamesTheField() {
        var config = SmootherConfig(labels: labels)
        config.exitConfidence = 0.9
        #expect(throws: SmootherConfigError.self) { try config.validate() }
        do { try config.validate() } catch { #expect(error.field == "exit_confidence") }
        #expect(throws: Never.self) { try SmootherConfig(labels: labels).validate() }
        var negative = SmootherConfig(labels: labels)
        negative.fallConfirmSeconds = -1
        do { try negative.validate(); Issue.record("accepted") } catch { #expect(error.field == "fall_confirm_seconds") }
        var recoveringFall = SmootherConfig(labels: labels)
        recoveringFall.recoveryLabels = ["fall"]
        do { try recoveringFall.validate(); Issue.record("accepted") } catch { #expect(error.field == "fall_recovery_labels") }
    }
}
