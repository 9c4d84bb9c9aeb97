import CSIEvents
import CSIFeatures
import CSITestSupport
import Foundation
import Testing

@testable import csihar

/// Event-level scoring (`csihar evaluate --events`) on hand-made event lists, and the command as a process.
@Suite struct EventScorerTests {
    /// Capture time of the first frame: event times are capture times, sidecar times are relative to it.
    private let origin = 1000.0

    /// A track from (start, end, label) rows, through the sidecar parser (its intervals have no public initializer).
    private func track(_ intervals: [(Double, Double, String)]) -> LabelTrack {
        let csv = "start,end,activity\n" + intervals.map { "\($0.0),\($0.1),\($0.2)\n" }.joined()
        return (try? LabelTrack(csv: csv)) ?? LabelTrack(intervals: [])
    }

    private func started(_ activity: String, at time: Double) -> Event {
        Event(time: origin + time, wallTime: 0, stream: "replay:x|unknown", payload: .activityStarted(activity: activity, confidence: 0.9))
    }

    private func ended(_ activity: String, at time: Double) -> Event {
        Event(time: origin + time, wallTime: 0, stream: "replay:x|unknown",
              payload: .activityEnded(activity: activity, confidence: 0.8, duration: 1))
    }

    private func fall(at time: Double) -> Event {
        Event(time: origin + time, wallTime: 0, stream: "replay:x|unknown",
              payload: .fallDetected(confidence: 0.9, fallTime: origin + time - 2))
    }

    private func score(_ events: [Event], _ intervals: [(Double, Double, String)], duration: Double = 40) -> EventScore {
        var scorer = EventScorer()
        scorer.add(captureEvents: events, track: track(intervals), origin: origin, duration: duration)
        return scorer.score
    }

    @Test func exactMatchIsFoundWithItsOnsetDelay() {
        let result = score([started("walk", at: 4.2), ended("walk", at: 7.5)], [(0, 3, "idle"), (3, 7, "walk"), (7, 9, "idle")])
        #expect(result.counts["walk"] == EventScorer.Counts(truth: 1, predicted: 1, matched: 1, found: 1))
        #expect(result.precision == 1 && result.recall == 1 && result.f1 == 1)
        #expect(abs((result.onsetDelayMedian ?? -1) - 1.2) < 1e-9)
        #expect(result.counts["idle"] == nil, "idle is no activity")
    }

    @Test func aStartOutsideTheToleranceIsNotFound() {
        // 2 s before the segment (overlapping it), and 2 s after its end: neither counts.
        let early = score([started("walk", at: 1), ended("walk", at: 6)], [(3, 7, "walk")])
        #expect(early.counts["walk"] == EventScorer.Counts(truth: 1, predicted: 1, matched: 0, found: 0))
        #expect(early.recall == 0 && early.precision == 0 && early.f1 == 0 && early.onsetDelayMedian == nil)
        let late = score([started("walk", at: 9), ended("walk", at: 10)], [(3, 7, "walk")])
        #expect(late.recall == 0)
        // 1.4 s before or after the start: found; 1.6 s after the start, inside the segment: not found.
        let justEarly = score([started("walk", at: 1.6), ended("walk", at: 6)], [(3, 7, "walk")])
        #expect(justEarly.recall == 1 && abs((justEarly.onsetDelayMedian ?? 0) + 1.4) < 1e-9)
        let justLate = score([started("walk", at: 4.4), ended("walk", at: 7)], [(3, 7, "walk")])
        #expect(justLate.recall == 1)
        let tooLate = score([started("walk", at: 4.6), ended("walk", at: 7)], [(3, 7, "walk")])
        #expect(tooLate.recall == 0)
        // After a short segment ended (an announcement without an onset estimate): not found.
        let afterShort = score([started("sit down", at: 5.4), ended("sit down", at: 6)], [(3, 4, "sit down")])
        #expect(afterShort.recall == 0)
        // The wrong activity at the right time is not found either.
        let wrong = score([started("run", at: 3.5), ended("run", at: 7)], [(3, 7, "walk")])
        #expect(wrong.recall == 0 && wrong.precision == 0)
        #expect(wrong.counts["run"] == EventScorer.Counts(truth: 0, predicted: 1, matched: 0, found: 0))
    }

    @Test func oneSpanOverTwoSegmentsMatchesOnlyOne() {
        let result = score([started("walk", at: 3.5), ended("walk", at: 8)], [(3, 5, "walk"), (5.5, 8, "walk")])
        #expect(result.counts["walk"] == EventScorer.Counts(truth: 2, predicted: 1, matched: 1, found: 1))
        #expect(result.precision == 1 && result.recall == 0.5)
        #expect(abs((result.onsetDelayMedian ?? 0) - 0.5) < 1e-9, "matched to the nearer start")
        // Two spans, two segments: each segment gets its own.
        let two = score([started("walk", at: 3.5), ended("walk", at: 5), started("walk", at: 6), ended("walk", at: 8)],
                        [(3, 5, "walk"), (5.5, 8, "walk")])
        #expect(two.recall == 1 && two.precision == 1)
    }

    @Test func aFallIsFoundWithinThreeSecondsOfItsEnd() {
        let intervals: [(Double, Double, String)] = [(0, 5, "idle"), (5, 6.5, "fall"), (6.5, 12, "idle")]
        let found = score([fall(at: 9)], intervals, duration: 12)
        #expect(found.fallRecall == 1 && found.falseFalls == 0)
        #expect(found.counts["fall"] == EventScorer.Counts(truth: 1, predicted: 1, matched: 1, found: 1))
        #expect(abs((found.fallDelayMedian ?? 0) - 4) < 1e-9)
        let late = score([fall(at: 9.6)], intervals, duration: 12)
        #expect(late.fallRecall == 0 && late.falseFalls == 1)
        // A daemon whose model has a fall class may also start a "fall" activity: such spans are not scored.
        let withSpan = score([started("fall", at: 5.5), fall(at: 7.5), ended("fall", at: 8)], intervals, duration: 12)
        #expect(withSpan.counts["fall"] == EventScorer.Counts(truth: 1, predicted: 1, matched: 1, found: 1))
        #expect(withSpan.onsetDelayMedian == nil)
    }

    @Test func aFallDuringARunIsAFalseFallPerHourOfNonFallTime() {
        // 30 min of capture: run 0-1800 s with a fall.detected in it; a real fall 1000-1060 s found by another one.
        let intervals: [(Double, Double, String)] = [(0, 900, "run"), (1000, 1060, "fall"), (1060, 1800, "idle")]
        let result = score([started("run", at: 1), fall(at: 500), ended("run", at: 899), fall(at: 1062)], intervals,
                           duration: 1800)
        #expect(result.falseFalls == 1 && result.fallRecall == 1)
        #expect(abs((result.falseFallsPerHour ?? 0) - 3600 / 1740) < 1e-9)
        #expect(result.counts["fall"] == EventScorer.Counts(truth: 1, predicted: 2, matched: 1, found: 1))
        // Micro-average over run and fall: 2 of 3 predictions matched, both segments found.
        #expect(abs((result.precision ?? 0) - 2.0 / 3.0) < 1e-12 && result.recall == 1)
        #expect(abs(result.seconds - 1800) < 1e-9)
    }

    @Test func noSegmentsGivesNullsNotNaN() throws {
        let result = score([], [(0, 10, "idle")], duration: 10)
        let object = result.jsonObject(model: "m", captures: 1, tolerance: 1.5)
        let text = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        #expect(!text.lowercased().contains("nan"))
        for key in ["event_precision", "event_recall", "event_f1", "fall_recall", "onset_delay_median_s", "fall_delay_median_s"] {
            #expect(object[key] is NSNull, "\(key)")
        }
        #expect(object["false_falls_per_hour"] as? Double == 0)
        #expect(!result.text(model: "m", captures: 1, tolerance: 1.5).lowercased().contains("nan"))
        // Not even a frame: no duration, no rate.
        let empty = score([], [], duration: 0)
        #expect(empty.jsonObject(model: "m", captures: 1, tolerance: 1.5)["false_falls_per_hour"] is NSNull)
    }

    @Test func labelledSegmentsWithoutEventsScoreAnF1OfZero() {
        // A walk is labelled and nothing is reported: recall 0, precision undefined (no event), F1 0 (2TP/(2TP+FP+FN)).
        let result = score([], [(0, 3, "idle"), (3, 7, "walk")], duration: 10)
        #expect(result.recall == 0 && result.precision == nil && result.f1 == 0)
        let object = result.jsonObject(model: "m", captures: 1, tolerance: 1.5)
        #expect(object["event_f1"] as? Double == 0)
    }

    @Test func streamsAreScoredApartAndPooled() {
        var second = started("walk", at: 3.2)
        second.stream = "replay:x|00:11:22:33:44:55"
        let result = score([started("walk", at: 3.1), second], [(3, 7, "walk")])
        #expect(result.streams == 2)
        #expect(result.counts["walk"] == EventScorer.Counts(truth: 2, predicted: 2, matched: 2, found: 2))
    }
}
