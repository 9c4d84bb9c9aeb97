import Foundation

extension CapturePlot {
    /// The ramp level of `value` on `range` (nil for an empty cell).
    static func level(_ value: Float, range: (low: Double, high: Double)) -> Int? {
        guard !value.isNaN else { return nil }
        let levels = PlotPalette.rampLevels
        let t = (Double(value) - range.low) / (range.high - range.low)
        return min(levels - 1, max(0, Int((t * Double(levels - 1)).rounded())))
    }

    /// One chain's amplitudes, subcarrier 1 (the lowest frequency) at the bottom: cells are drawn in column x
    /// subcarrier units under a transform that scales them onto the panel, as horizontal strokes one row thick
    /// (`M column row h length`: half the bytes of a rectangle), one `<path>` per colour level, equal neighbours in
    /// a row merged into one run.
    func drawHeatmap(_ svg: inout SVGDocument, chain: Int, top: Double, range: (low: Double, high: Double)) {
        let heatmap = data.heatmap
        let columns = heatmap.columns, rows = heatmap.subcarriers
        svg.open(["id": .text("heatmap-chain-\(chain)"), "class": "heatmap", "data-chain": .number(Double(chain)),
                  "data-top": .number(top), "data-height": .number(Self.heatmapHeight),
                  "data-columns": .number(Double(columns)), "data-subcarriers": .number(Double(rows))])
        svg.rect(x: Self.left, y: top, width: Self.plotWidth, height: Self.heatmapHeight, ["fill": "#f0f0f0"])
        var paths = [String](repeating: "", count: PlotPalette.rampLevels)
        for s in 0..<rows {
            let row = rows - 1 - s
            var column = 0
            while column < columns {
                let level = Self.level(heatmap.value(chain: chain, column: column, subcarrier: s), range: range)
                var end = column + 1
                while end < columns && Self.level(heatmap.value(chain: chain, column: end, subcarrier: s), range: range) == level {
                    end += 1
                }
                if let level {
                    let length = end - column
                    paths[level] += "M\(column) \(row)h\(length)"
                }
                column = end
            }
        }
        let transform = "translate(\(svg.number(Self.left)),\(svg.number(top))) "
            + "scale(\(svg.number(Self.plotWidth / Double(columns))),"
            + "\(svg.number(Self.heatmapHeight / Double(rows)))) translate(0,0.5)"
        svg.open(["class": "cells", "transform": .text(transform), "fill": "none", "stroke-width": 1,
                  "shape-rendering": "crispEdges"])
        for (level, d) in paths.enumerated() where !d.isEmpty {
            svg.raw("<path stroke=\"\(PlotPalette.rampColours[level].hex)\" d=\"\(d)\"/>\n")
        }
        svg.close()
        svg.rect(x: Self.left, y: top, width: Self.plotWidth, height: Self.heatmapHeight,
                 ["fill": "none", "stroke": "#888888", "stroke-width": 0.5])
        svg.text("chain \(chain)", ["x": .number(Self.left - 28), "y": .number(top + Self.heatmapHeight / 2 - 2),
                                    "font-size": 12, "font-weight": "bold", "text-anchor": "end"])
        svg.text("|H| dB", ["x": .number(Self.left - 28), "y": .number(top + Self.heatmapHeight / 2 + 12),
                            "font-size": 10, "fill": "#555555", "text-anchor": "end"])
        svg.text("1", ["x": .number(Self.left - 4), "y": .number(top + Self.heatmapHeight - 1), "font-size": 9,
                       "fill": "#555555", "text-anchor": "end"])
        svg.text("\(rows)", ["x": .number(Self.left - 4), "y": .number(top + 8), "font-size": 9, "fill": "#555555",
                             "text-anchor": "end"])
        svg.text("subcarrier", ["x": .number(Self.left - 6), "y": .number(top + Self.heatmapHeight / 2),
                                "font-size": 9, "fill": "#555555", "text-anchor": "middle",
                                "transform": .text("rotate(-90 \(svg.number(Self.left - 9)) \(svg.number(top + Self.heatmapHeight / 2)))")])
        svg.close()
    }

    /// The colour scale of the heatmaps: the ramp from `range.low` (bottom) to `range.high` (top) with dB ticks.
    func drawColourScale(_ svg: inout SVGDocument, top: Double, bottom: Double, range: (low: Double, high: Double)) {
        let x = Self.left + Self.plotWidth + 22, width = 14.0
        let levels = PlotPalette.rampLevels
        let step = (bottom - top) / Double(levels)
        svg.open(["id": "colour-scale", "data-low": .number(range.low), "data-high": .number(range.high),
                  "font-size": 10])
        svg.text("dB", ["x": .number(x + width / 2), "y": .number(top - 4), "text-anchor": "middle"])
        for level in 0..<levels {
            // overlap by a fraction of a pixel so no seam shows between levels
            svg.rect(x: x, y: bottom - Double(level + 1) * step, width: width, height: step + 0.3,
                     ["fill": .text(PlotPalette.rampColours[level].hex), "stroke": "none"])
        }
        svg.rect(x: x, y: top, width: width, height: bottom - top, ["fill": "none", "stroke": "#888888", "stroke-width": 0.5])
        let span = range.high - range.low
        let tick = [0.5, 1, 2, 5, 10, 20, 50].first { span / $0 <= 7 } ?? 100
        var value = (range.low / tick).rounded(.up) * tick
        while value <= range.high + 1e-9 {
            let y = bottom - (value - range.low) / span * (bottom - top)
            svg.line(x1: x + width, y1: y, x2: x + width + 4, y2: y, ["stroke": "#444444"])
            svg.text(tick < 1 ? String(format: "%.1f", value) : String(format: "%.0f", value),
                     ["x": .number(x + width + 6), "y": .number(y + 3.5), "class": "tick"])
            value += tick
        }
        svg.close()
    }
}
