import Foundation

/// The picture `csihar plot` draws from ``CapturePlotData``, as SVG: a title (file, device, chains, rate, model),
/// one amplitude heatmap per receive chain (subcarrier x time) with a colour scale, the label sidecar as a truth
/// strip, the model's window probabilities stacked per class, the events csihard would publish (activity spans,
/// falls marked across the panels), a shared time axis in seconds from the capture's first frame, and a legend.
///
/// Panels are `<g>` groups with stable ids (`heatmap-chain-N`, `colour-scale`, `truth`, `probabilities`, `events`,
/// `time-axis`, `legend`) and `data-*` attributes giving their geometry, so that tests (and anyone) can read the
/// picture back. The output is deterministic.
struct CapturePlot {
    /// What is drawn.
    let data: CapturePlotData

    /// Picture width; left margin (panel names), right margin (colour scale); heights of the panels.
    static let width = 1200.0, left = 118.0, right = 96.0
    static let heatmapHeight = 96.0, truthHeight = 24.0, probabilityHeight = 130.0, eventsHeight = 36.0
    static let gap = 10.0

    /// Width of the time axis.
    static var plotWidth: Double { width - left - right }

    /// Seconds the time axis covers (the capture's duration, at least one column).
    var seconds: Double { max(data.duration, data.heatmap.columnSeconds, 1e-3) }

    /// The x coordinate of `time` (s from the first frame).
    func x(_ time: Double) -> Double { Self.left + Self.plotWidth * min(max(time / seconds, 0), 1) }

    /// Top of each panel, in drawing order.
    struct Layout {
        var title = 0.0, heatmaps: [Double] = [], truth = 0.0, probabilities = 0.0, events = 0.0, axis = 0.0,
            legend = 0.0, height = 0.0
    }

    /// Where every panel goes.
    var layout: Layout {
        var layout = Layout()
        var y = 74.0
        for _ in 0..<data.heatmap.chains {
            layout.heatmaps.append(y)
            y += Self.heatmapHeight + Self.gap
        }
        y += 4
        layout.truth = y
        y += Self.truthHeight + Self.gap
        layout.probabilities = y
        y += Self.probabilityHeight + 4
        layout.events = y
        y += Self.eventsHeight
        layout.axis = y
        y += 44
        layout.legend = y
        layout.height = y + 30
        return layout
    }

    /// The whole SVG document.
    func svg() -> String {
        let layout = self.layout
        var svg = SVGDocument(width: Self.width, height: layout.height)
        svg.rect(x: 0, y: 0, width: Self.width, height: layout.height, ["fill": "#ffffff"])
        drawTitle(&svg)
        let range = data.heatmap.range
        for chain in 0..<data.heatmap.chains {
            drawHeatmap(&svg, chain: chain, top: layout.heatmaps[chain], range: range)
        }
        if let top = layout.heatmaps.first {
            drawColourScale(&svg, top: top, bottom: layout.heatmaps[layout.heatmaps.count - 1] + Self.heatmapHeight,
                            range: range)
        }
        drawGrid(&svg, top: layout.truth, bottom: layout.events + Self.eventsHeight)
        drawTruth(&svg, top: layout.truth)
        drawProbabilities(&svg, top: layout.probabilities)
        drawEvents(&svg, top: layout.events, probabilitiesTop: layout.probabilities)
        drawAxis(&svg, top: layout.axis, firstPanel: layout.heatmaps.first ?? layout.truth)
        drawLegend(&svg, top: layout.legend)
        return svg.rendered(title: "csihar plot: \((data.capture as NSString).lastPathComponent)")
    }

    /// File name; device, chains, rate, duration and stream; model, window length and sidecar.
    private func drawTitle(_ svg: inout SVGDocument) {
        let name = (data.capture as NSString).lastPathComponent
        svg.text(name, ["x": 16, "y": 22, "font-size": 16, "font-weight": "bold", "id": "title"])
        let rate = data.rate >= 100 ? String(format: "%.0f", data.rate) : String(format: "%.1f", data.rate)
        let chains = data.heatmap.chains == 1 ? "1 chain" : "\(data.heatmap.chains) chains"
        let details = "\(data.device), \(chains) x \(data.heatmap.subcarriers) subcarriers, \(rate) measurements/s, "
            + String(format: "%.1f s", data.duration) + " (stream \(data.stream))"
        svg.text(details, ["x": 16, "y": 40, "font-size": 12, "fill": "#333333", "id": "subtitle"])
        let model = String(format: "model %@, windows of %.3g s", data.modelName, data.windowSeconds)
            + (data.labelsPath.map { "; labels \($0)" } ?? "; no label sidecar")
        svg.text(model, ["x": 16, "y": 56, "font-size": 12, "fill": "#333333", "id": "model"])
    }

    /// A tick step giving 8-16 ticks over the axis.
    static func tickStep(seconds: Double) -> Double {
        for step in [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600] where seconds / step <= 16 {
            return step
        }
        return (seconds / 16 / 3600).rounded(.up) * 3600
    }

    /// Faint vertical lines at the ticks behind the truth, probability and event panels.
    private func drawGrid(_ svg: inout SVGDocument, top: Double, bottom: Double) {
        let step = Self.tickStep(seconds: seconds)
        svg.open(["id": "grid", "stroke": "#e4e4e4", "stroke-width": 1])
        var tick = step
        while tick < seconds {
            svg.line(x1: x(tick), y1: top, x2: x(tick), y2: bottom)
            tick += step
        }
        svg.close()
    }

    /// The time axis: a baseline, ticks and labels every ``tickStep(seconds:)``, and its title; ticks reach up to
    /// the first panel.
    private func drawAxis(_ svg: inout SVGDocument, top: Double, firstPanel: Double) {
        let step = Self.tickStep(seconds: seconds)
        svg.open(["id": "time-axis", "data-left": .number(Self.left), "data-width": .number(Self.plotWidth),
                  "data-seconds": .text(String(format: "%.6f", seconds)), "font-size": 11, "text-anchor": "middle"])
        svg.line(x1: Self.left, y1: top, x2: Self.left + Self.plotWidth, y2: top, ["stroke": "#444444"])
        var index = 0
        while Double(index) * step <= seconds + 1e-9 {
            let time = Double(index) * step
            svg.line(x1: x(time), y1: top, x2: x(time), y2: top + 5, ["stroke": "#444444"])
            let label = step < 1 ? String(format: "%.1f", time) : String(format: "%.0f", time)
            svg.text(label, ["x": .number(x(time)), "y": .number(top + 17), "class": "tick"])
            index += 1
        }
        svg.text("time (s) from the first frame", ["x": .number(Self.left + Self.plotWidth / 2), "y": .number(top + 34),
                                                    "font-size": 12])
        svg.close()
    }

    /// Activity colours (the model's classes, then any other sidecar label) and the event markers.
    private func drawLegend(_ svg: inout SVGDocument, top: Double) {
        var labels = data.classes
        for interval in data.truth?.intervals ?? [] where !labels.contains(interval.label) { labels.append(interval.label) }
        svg.open(["id": "legend", "font-size": 11])
        var x = Self.left
        for label in labels {
            svg.rect(x: x, y: top, width: 12, height: 12,
                     ["fill": .text(PlotPalette.activity(label, among: labels).hex), "class": "swatch",
                      "data-label": .text(label)])
            svg.text(label, ["x": .number(x + 16), "y": .number(top + 10.5)])
            x += 24 + Double(label.count) * 6.4
        }
        x += 12
        svg.line(x1: x + 6, y1: top - 2, x2: x + 6, y2: top + 14, ["stroke": .text(PlotPalette.fall.hex), "stroke-width": 2])
        svg.text("fall.detected (at fall_time)", ["x": .number(x + 14), "y": .number(top + 10.5)])
        svg.close()
    }

    /// An estimate of the width of `text` at `size` pixels (for fitting labels; DejaVu Sans averages ~0.58 em).
    static func textWidth(_ text: String, size: Double) -> Double { Double(text.count) * size * 0.58 }
}
