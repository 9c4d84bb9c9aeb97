import Foundation

extension CapturePlot {
    /// The colour of an activity label among the model's classes.
    private func colour(_ label: String) -> String { PlotPalette.activity(label, among: data.classes).hex }

    /// A panel name left of the axis (bold) with an optional second line.
    private func panelName(_ svg: inout SVGDocument, _ name: String, detail: String? = nil, middle: Double) {
        svg.text(name, ["x": .number(Self.left - 10), "y": .number(detail == nil ? middle + 4 : middle - 1),
                        "font-size": 12, "font-weight": "bold", "text-anchor": "end"])
        if let detail {
            svg.text(detail, ["x": .number(Self.left - 10), "y": .number(middle + 12), "font-size": 10,
                              "fill": "#555555", "text-anchor": "end"])
        }
    }

    /// A label centred on a bar when it fits in `width`.
    private func barLabel(_ svg: inout SVGDocument, _ text: String, from x0: Double, width: Double, y: Double) {
        guard Self.textWidth(text, size: 10) + 4 <= width else { return }
        svg.text(text, ["x": .number(x0 + width / 2), "y": .number(y), "font-size": 10, "fill": "#111111",
                        "text-anchor": "middle"])
    }

    /// The label sidecar: one rect per interval in its activity's colour (`class="segment"`, `data-label`).
    func drawTruth(_ svg: inout SVGDocument, top: Double) {
        let intervals = data.truth?.intervals ?? []
        svg.open(["id": "truth", "data-top": .number(top), "data-height": .number(Self.truthHeight),
                  "data-segments": .number(Double(intervals.count))])
        panelName(&svg, "labels", middle: top + Self.truthHeight / 2)
        if intervals.isEmpty {
            svg.text(data.truth == nil ? "no label sidecar" : "the label sidecar is empty",
                     ["x": .number(Self.left + 6), "y": .number(top + 16), "font-size": 11, "fill": "#777777"])
        }
        for interval in intervals {
            let x0 = x(interval.start), width = x(interval.end) - x0
            svg.rect(x: x0, y: top, width: width, height: Self.truthHeight,
                     ["fill": .text(colour(interval.label)), "stroke": "#ffffff", "stroke-width": 0.5,
                      "class": "segment", "data-label": .text(interval.label),
                      "data-start": .number(interval.start), "data-end": .number(interval.end)])
            barLabel(&svg, interval.label, from: x0, width: width, y: top + 16)
        }
        svg.close()
    }

    /// The window probabilities stacked per class (the model's first class at the bottom), one closed path per
    /// class: its upper edge left to right, then its lower edge right to left, at the window centres; a pause in the
    /// windows (more than 3 hops, e.g. the stream went down) starts a new subpath.
    func drawProbabilities(_ svg: inout SVGDocument, top: Double) {
        let height = Self.probabilityHeight, bottom = top + height
        let predictions = data.predictions
        svg.open(["id": "probabilities", "data-top": .number(top), "data-height": .number(height),
                  "data-windows": .number(Double(predictions.count))])
        panelName(&svg, "model", detail: "p per window", middle: top + height / 2)
        svg.rect(x: Self.left, y: top, width: Self.plotWidth, height: height, ["fill": "#f7f7f7"])
        svg.text("1", ["x": .number(Self.left - 3), "y": .number(top + 8), "font-size": 9, "fill": "#555555",
                       "text-anchor": "end"])
        svg.text("0", ["x": .number(Self.left - 3), "y": .number(bottom), "font-size": 9, "fill": "#555555",
                       "text-anchor": "end"])
        if predictions.isEmpty {
            svg.text("no window was classified (is the capture shorter than a window?)",
                     ["x": .number(Self.left + 6), "y": .number(top + height / 2), "font-size": 11, "fill": "#777777"])
        }
        // runs of windows without a pause
        let hops = zip(predictions.dropFirst(), predictions).map { $0.time - $1.time }.sorted()
        let hop = hops.isEmpty ? 0 : hops[hops.count / 2]
        var runs: [Range<Int>] = []
        var start = 0
        for i in 1..<max(1, predictions.count + 1) where i == predictions.count || predictions[i].time - predictions[i - 1].time > 3 * hop {
            if i > start { runs.append(start..<i) }
            start = i
        }
        // cumulative fractions per window, (windows, classes + 1)
        let classes = data.classes.count
        let cumulative: [[Double]] = predictions.map { prediction in
            let total = prediction.probabilities.reduce(0) { $0 + Double(max(0, $1)) }
            var sums = [0.0]
            for c in 0..<classes {
                let p = c < prediction.probabilities.count ? Double(max(0, prediction.probabilities[c])) : 0
                sums.append(sums[c] + (total > 0 ? p / total : 1 / Double(classes)))
            }
            return sums
        }
        for (c, label) in data.classes.enumerated() {
            let subpaths = runs.map { run -> [(x: Double, y: Double)] in
                let upper = run.map { (x: x(predictions[$0].time), y: bottom - height * cumulative[$0][c + 1]) }
                let lower = run.reversed().map { (x: x(predictions[$0].time), y: bottom - height * cumulative[$0][c]) }
                return upper + lower
            }
            svg.element("path", ["class": "stack", "data-label": .text(label), "fill": .text(colour(label)),
                                 "stroke": "none", "d": .text(svg.pathData(subpaths, closed: true))])
        }
        svg.rect(x: Self.left, y: top, width: Self.plotWidth, height: height,
                 ["fill": "none", "stroke": "#888888", "stroke-width": 0.5])
        svg.close()
    }

    /// The events csihard would publish: each activity as a bar from its `start_time` to its end, and each
    /// `fall.detected` as a red line through the probability and event panels at its `fall_time` with its
    /// confidence and when it was reported (`class="fall"`, `data-time`).
    func drawEvents(_ svg: inout SVGDocument, top: Double, probabilitiesTop: Double) {
        let bottom = top + Self.eventsHeight
        svg.open(["id": "events", "data-top": .number(top), "data-height": .number(Self.eventsHeight),
                  "data-spans": .number(Double(data.spans.count)), "data-falls": .number(Double(data.falls.count))])
        panelName(&svg, "events", detail: "csihard", middle: top + Self.eventsHeight / 2)
        for span in data.spans {
            let x0 = x(span.start), width = max(1, x(span.end) - x0)
            svg.rect(x: x0, y: top + 5, width: width, height: 15,
                     ["fill": .text(colour(span.label)), "stroke": "#333333", "stroke-width": 0.5, "rx": 2,
                      "class": "activity-span", "data-label": .text(span.label), "data-start": .number(span.start),
                      "data-end": .number(span.end), "data-confidence": .number(span.confidence)])
            barLabel(&svg, span.label, from: x0, width: width, y: top + 16)
        }
        for fall in data.falls {
            let fx = x(fall.time)
            svg.open(["class": "fall", "data-time": .number(fall.time), "data-reported": .number(fall.reported),
                      "data-confidence": .number(fall.confidence)])
            svg.line(x1: fx, y1: probabilitiesTop, x2: fx, y2: bottom, ["stroke": .text(PlotPalette.fall.hex),
                                                                       "stroke-width": 2])
            svg.element("path", ["d": .text("M\(svg.number(fx - 6)),\(svg.number(bottom - 12)) L\(svg.number(fx + 6)),"
                                             + "\(svg.number(bottom - 12)) L\(svg.number(fx)),\(svg.number(bottom - 2)) Z"),
                                 "fill": .text(PlotPalette.fall.hex)])
            let text = String(format: "fall %.2f, reported at %.1f s", fall.confidence, fall.reported)
            let fits = fx + 8 + Self.textWidth(text, size: 10) <= Self.left + Self.plotWidth
            svg.text(text, ["x": .number(fits ? fx + 8 : fx - 8), "y": .number(bottom - 3), "font-size": 10,
                            "font-weight": "bold", "fill": .text(PlotPalette.fall.hex),
                            "text-anchor": .text(fits ? "start" : "end")])
            svg.close()
        }
        svg.line(x1: Self.left, y1: bottom, x2: Self.left + Self.plotWidth, y2: bottom, ["stroke": "#cccccc"])
        svg.close()
    }
}
