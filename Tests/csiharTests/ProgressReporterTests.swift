import Testing

@testable import csihar

/// The progress line of long csihar commands: its text, and how often it is printed on a terminal, in a log, or not.
@Suite struct ProgressReporterTests {
    /// A clock the test moves and a sink that keeps everything written.
    final class Harness {
        var now = 100.0
        var written: [String] = []
        func reporter(_ mode: ProgressReporter.Mode, total: Int? = 240, columns: Int? = 200) -> ProgressReporter {
            ProgressReporter(task: "simulate", unit: "recordings", total: total, mode: mode,
                             write: { self.written.append($0) }, clock: { self.now }, columns: columns)
        }
    }

    @Test func lineText() {
        #expect(ProgressReporter.line(task: "simulate", done: 37, total: 240, unit: "recordings", fraction: nil, detail: nil,
                                      elapsed: 12) == "simulate: 37/240 recordings (15%), 12 s, ETA 1 min 06 s")
        #expect(ProgressReporter.line(task: "replay", done: 12000, total: nil, unit: "frames", fraction: 0.5, detail: "2 issues",
                                      elapsed: 3) == "replay: 12000 frames (50%), 2 issues, 3 s, ETA 3 s")
        // Unknown share: no percentage and no ETA; no ETA in the first second or at the end.
        #expect(ProgressReporter.line(task: "replay", done: 5, total: nil, unit: "frames", fraction: nil, detail: nil,
                                      elapsed: 4000) == "replay: 5 frames, 1 h 06 min")
        #expect(ProgressReporter.line(task: "x", done: 1, total: 2, unit: "u", fraction: nil, detail: nil, elapsed: 0.5) == "x: 1/2 u (50%), 1 s")
        #expect(ProgressReporter.line(task: "x", done: 2, total: 2, unit: "u", fraction: nil, detail: nil, elapsed: 9) == "x: 2/2 u (100%), 9 s")
        #expect(ProgressReporter.duration(59.4) == "59 s")
        #expect(ProgressReporter.duration(245) == "4 min 05 s")
        #expect(ProgressReporter.duration(7380) == "2 h 03 min")
    }

    /// Not a terminal: one plain line every 10 s, the first after 10 s, none at the end; a short run prints nothing.
    @Test func periodicPrintsEveryTenSeconds() {
        let harness = Harness()
        let progress = harness.reporter(.periodic(seconds: 10))
        for step in 0...25 {
            harness.now = 100 + Double(step)
            progress.update(done: step)
        }
        progress.finish()
        #expect(harness.written == ["simulate: 10/240 recordings (4%), 10 s, ETA 3 min 50 s\n",
                                    "simulate: 20/240 recordings (8%), 20 s, ETA 3 min 40 s\n"])
        #expect(!harness.written.joined().contains("\u{1B}"), "no terminal escapes in a log")

        let short = Harness()
        let quick = short.reporter(.periodic(seconds: 10))
        for step in 0..<240 { short.now += 0.03; quick.update(done: step + 1) }
        quick.note("a warning")
        quick.finish()
        #expect(short.written == ["a warning\n"])
    }

    /// A terminal: redrawn in place at most every 0.2 s, cut to the width, a note clears and redraws the line, and the
    /// end leaves the final state with a newline.
    @Test func terminalRedrawsInPlace() {
        let harness = Harness()
        let progress = harness.reporter(.terminal, columns: 40)
        for step in 0..<20 {
            progress.update(done: step)   // 20 updates within 1.1875 s: the first draws, then one every 0.2 s
            harness.now += 0.0625
        }
        #expect(harness.written.count == 5, "\(harness.written)")
        #expect(harness.written.allSatisfy { $0.hasPrefix("\r\u{1B}[K") && !$0.contains("\n") && $0.count <= 4 + 39 })
        harness.written.removeAll()
        progress.note("sim-1.dat: skipped")
        #expect(harness.written == ["\r\u{1B}[K", "sim-1.dat: skipped\n"])
        progress.advance()   // the next update draws the cleared line again at once
        #expect(harness.written.count == 3 && harness.written[2].hasPrefix("\r\u{1B}[Ksimulate: 20/240"), "\(harness.written)")
        harness.written.removeAll()
        // A final update that is not due still counts, with its own share (not an earlier fraction).
        progress.update(done: 100, fraction: 0.3)
        harness.now += 0.5
        progress.update(done: 200, fraction: 0.9)
        progress.update(done: 240)
        progress.finish()
        progress.update(done: 241)
        #expect(harness.written.last == "\n")
        #expect(harness.written.dropLast().last?.hasPrefix("\r\u{1B}[Ksimulate: 240/240 recordings (100%)") == true, "\(harness.written)")
    }

    @Test func offPrintsNothingButNotes() {
        let harness = Harness()
        let progress = harness.reporter(.off)
        harness.now += 100
        progress.update(done: 3)
        progress.note("kept")
        progress.finish()
        #expect(harness.written == ["kept\n"])
        #expect(ProgressReporter.automaticMode(disabled: true) == .off)
    }
}
