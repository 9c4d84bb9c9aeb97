@testable import csihar
import CSICapture
import CSIDaemon
import CSIFeatures
import CSITestSupport
import Foundation
import Testing

/// `csihar plot`: the SVG writer and colours, and the picture of a bundled sample read back (well-formed, the
/// panels, the sidecar's segments, the daemon's falls and windows, stacks that fill the panel), its PNG through
/// rsvg-convert and, when Chromium is installed, a headless screenshot that is not blank.
@Suite struct PlotTests {
    private static let root = SharedData.repositoryRoot()
    private static let sample = "samples/living-room-intel5300.dat"

    @Test func svgDocumentEscapesBoundsNumbersAndParses() throws {
        var svg = SVGDocument(width: 100, height: 50, decimals: 2)
        #expect(svg.number(1.0) == "1" && svg.number(2.5) == "2.5" && svg.number(1.23456) == "1.23")
        #expect(svg.number(-0.001) == "0" && svg.number(.nan) == "0" && svg.number(-3.10) == "-3.1")
        #expect(SVGDocument.escape("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;")
        svg.open(["id": "g<1>", "class": "x"])
        svg.rect(x: 1.005, y: 2, width: -3, height: 4, ["data-label": "sit & \"down\""])
        svg.text("fall <0.9>", ["x": 3])
        // left open: rendered() closes it
        let text = svg.rendered(title: "t & t")
        let reader = PlotSVGReader(data: Data(text.utf8))
        #expect(reader.wellFormed, "\(reader.error ?? "")")
        #expect(reader.element(id: "g<1>") != nil)
        #expect(reader.elements.first { $0.name == "rect" && $0.attributes["data-label"] == "sit & \"down\"" }?.number("width") == 0)
        #expect(reader.elements.first { $0.name == "text" }?.text == "fall <0.9>")
        #expect(text == svg.rendered(title: "t & t"))
    }

    /// The amplitude ramp gets lighter at every level (it reads in grey) and spans dark to light; the activity
    /// colours of the default model's classes are distinct, and a fall is red.
    @Test func rampRisesInLuminanceAndActivitiesAreDistinct() {
        func luminance(_ c: PlotPalette.Colour) -> Double {
            func linear(_ v: UInt8) -> Double {
                let x = Double(v) / 255
                return x <= 0.04045 ? x / 12.92 : pow((x + 0.055) / 1.055, 2.4)
            }
            return 0.2126 * linear(c.red) + 0.7152 * linear(c.green) + 0.0722 * linear(c.blue)
        }
        let levels = PlotPalette.rampColours.map(luminance)
        #expect(levels.count == PlotPalette.rampLevels)
        #expect(zip(levels.dropFirst(), levels).allSatisfy { $0 > $1 }, "\(levels)")
        #expect(levels.first! < 0.06 && levels.last! > 0.75, "\(levels.first!) ... \(levels.last!)")
        let labels = ["lie down", "fall", "walk", "pick up", "run", "sit down", "stand up", "idle"]
        #expect(Set(labels.map { PlotPalette.activity($0, among: labels) }).count == labels.count)
        #expect(PlotPalette.activity("fall") == PlotPalette.fall && PlotPalette.fall.red > 0xc0 && PlotPalette.fall.green < 0x50)
        #expect(PlotPalette.activity("wave", among: ["wave"]) == PlotPalette.activity("wave", among: ["wave"]))
    }

    /// The heatmap's values: on the Intel grid, `20 log10 |H|` of every chain's 30 columns of transmit stream 0.
    @Test func chainAmplitudesAreTheDecibelsOfEveryChain() throws {
        let path = Self.root.appendingPathComponent(Self.sample).path
        guard FileManager.default.fileExists(atPath: path) else { print("SKIP: \(Self.sample) is missing"); return }
        let reader = try CaptureFile.open(path: path, options: CaptureOptions())
        guard let frame = try reader.nextFrame() else { Issue.record("no frame"); return }
        let values = try FeatureExtractor().chainAmplitudesDB(frame)
        #expect(frame.nrx == 3 && values.count == frame.nrx * 30)
        for chain in 0..<frame.nrx {
            for s in 0..<30 {
                let i = frame.index(tx: 0, rx: chain, subcarrier: s)
                let expected = 20 * log10(Double(frame.real[i]) * Double(frame.real[i]) + Double(frame.imag[i]) * Double(frame.imag[i])) / 2
                #expect(abs(Double(values[chain * 30 + s]) - expected) < 1e-4, "chain \(chain) subcarrier \(s)")
            }
        }
    }

    /// A 1-chain capture in process (absolute paths, explicit model): one heatmap row of 30 subcarriers, columns
    /// no more than asked, and the same bytes from two loads.
    @Test func oneChainCaptureIsDrawnDeterministically() throws {
        let capture = Self.root.appendingPathComponent("samples/hallway-esp32.csv").path
        let model = Self.root.appendingPathComponent("models/csihar-1ch-doppler-gru.safetensors").path
        guard FileManager.default.fileExists(atPath: capture), FileManager.default.fileExists(atPath: model) else {
            print("SKIP: the ESP32 sample or the 1-chain model is missing"); return
        }
        let load = { try CapturePlotData.load(capture: capture, labels: nil, model: model, settings: DaemonSettings(), maxColumns: 200) }
        let data = try load()
        #expect(data.heatmap.chains == 1 && data.heatmap.subcarriers == 30)
        #expect(data.heatmap.columns <= 200 && data.heatmap.measurements > 100)
        let finite = data.heatmap.values.filter(\.isFinite).count
        #expect(Double(finite) > 0.9 * Double(data.heatmap.values.count), "\(finite) of \(data.heatmap.values.count)")
        #expect(data.labelsPath?.hasSuffix("hallway-esp32.labels.csv") == true && !data.predictions.isEmpty)
        let svg = CapturePlot(data: data).svg()
        #expect(svg == CapturePlot(data: try load()).svg())
        let reader = PlotSVGReader(data: Data(svg.utf8))
        #expect(reader.wellFormed && reader.element(id: "heatmap-chain-0") != nil && reader.element(id: "heatmap-chain-1") == nil)
    }

    /// The README's sample through the CLI with the routed model: the SVG read back against the sidecar and the
    /// events `csihar evaluate --events` writes for the same capture.
    @Test func livingRoomSampleHasEveryPanel() throws {
        guard FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(Self.sample).path) else {
            print("SKIP: \(Self.sample) is missing"); return
        }
        let directory = try PlotTestTools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let svgPath = directory.appendingPathComponent("x.svg").path, eventsPath = directory.appendingPathComponent("e.ndjson").path
        guard let plot = try runCsihar(["plot", Self.sample, "-o", svgPath]),
              let evaluate = try runCsihar(["evaluate", "--events", "--capture", Self.sample, "--events-out", eventsPath])
        else { return }
        #expect(plot.status == 0 && plot.stderr.isEmpty, "\(plot.stderr)")
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: svgPath))
        print("plot \(Self.sample): \(data.count) bytes")
        #expect(data.count > 50_000 && data.count < 1_500_000)
        let svg = PlotSVGReader(data: data)
        #expect(svg.wellFormed, "\(svg.error ?? "")")
        for id in ["title", "heatmap-chain-0", "heatmap-chain-1", "heatmap-chain-2", "colour-scale", "truth",
                   "probabilities", "events", "time-axis", "legend"] {
            #expect(svg.element(id: id) != nil, "no \(id)")
        }
        #expect(svg.element(id: "heatmap-chain-3") == nil)
        #expect(svg.element(id: "model")?.text.contains("csihar-doppler-gru") == true)
        for chain in 0..<3 {
            let cells = svg.elements(inside: "heatmap-chain-\(chain)").filter { $0.name == "path" }
            #expect(cells.count >= 16, "chain \(chain): \(cells.count) colour levels")
            #expect((svg.element(id: "heatmap-chain-\(chain)")?.number("data-columns") ?? 0) <= 600)
        }
        guard let axis = svg.element(id: "time-axis"), let left = axis.number("data-left"),
              let width = axis.number("data-width"), let seconds = axis.number("data-seconds") else {
            Issue.record("time axis without its geometry"); return
        }
        let x = { (time: Double) in left + width * time / seconds }

        // the truth strip: one rect per sidecar line, in order, where its times say (cut at the capture's end)
        let sidecar = try String(contentsOfFile: Self.root.appendingPathComponent("samples/living-room-intel5300.labels.csv").path,
                                 encoding: .utf8).split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        let segments = svg.elements(inside: "truth").filter { $0.hasClass("segment") }
        #expect(segments.map { $0.attributes["data-label"] ?? "" } == sidecar.map { String($0[2]) })
        for (segment, line) in zip(segments, sidecar) {
            #expect(abs((segment.number("x") ?? -1) - x(Double(line[0])!)) < 0.02)
            #expect(abs((segment.number("x") ?? 0) + (segment.number("width") ?? 0) - x(min(Double(line[1])!, seconds))) < 0.03)
        }

        // the daemon's events: falls at their fall_time, one span per activity.ended, one window per prediction
        let events = try String(contentsOfFile: eventsPath, encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        guard let origin = events.first(where: { $0["type"] as? String == "stream.up" })?["time"] as? Double else {
            Issue.record("no stream.up in \(eventsPath)"); return
        }
        let fallTimes = events.filter { $0["type"] as? String == "fall.detected" }.compactMap { $0["fall_time"] as? Double }
            .map { $0 - origin }
        let markers = svg.elements(inside: "events").filter { $0.name == "g" && $0.hasClass("fall") }
        #expect(markers.count == fallTimes.count && !fallTimes.isEmpty, "markers \(markers.count), falls \(fallTimes)")
        for (marker, time) in zip(markers, fallTimes) {
            #expect(abs((marker.number("data-time") ?? -1) - time) < 0.01)
        }
        // the red line of each fall stands at its time, and the default model finds the sample's one fall
        let fallLines = svg.elements.filter { $0.name == "line" && $0.attributes["stroke"] == PlotPalette.fall.hex
            && $0.ancestors.contains("events") }
        #expect(fallLines.count == fallTimes.count)
        for (line, time) in zip(fallLines, fallTimes) { #expect(abs((line.number("x1") ?? -1) - x(time)) < 0.02) }
        #expect(fallTimes.contains { (27.5...32).contains($0) }, "falls at \(fallTimes); the sidecar's fall is 28.5-30 s")
        let ended = events.filter { $0["type"] as? String == "activity.ended" }.count
        #expect(svg.elements(inside: "events").filter { $0.hasClass("activity-span") }.count == ended)
        let predictions = events.filter { $0["type"] as? String == "prediction" }.count
        #expect(predictions > 100 && svg.element(id: "probabilities")?.number("data-windows") == Double(predictions))

        // every window's stack fills the panel: the class thicknesses add up to its height
        guard let panel = svg.element(id: "probabilities"), let height = panel.number("data-height") else {
            Issue.record("probability panel without its geometry"); return
        }
        let stacks = svg.elements(inside: "probabilities").filter { $0.hasClass("stack") }
        #expect(stacks.map { $0.attributes["data-label"] ?? "" }
                == ["lie down", "fall", "walk", "pick up", "run", "sit down", "stand up", "idle"])
        let shapes = stacks.map { PlotSVGReader.polygons($0.attributes["d"] ?? "") }
        #expect(shapes.first.map { $0.reduce(0) { $0 + $1.count / 2 } } == predictions)
        var checked = 0
        for (s, subpath) in (shapes.first ?? []).enumerated() {
            let n = subpath.count / 2
            for i in stride(from: 0, to: n, by: 7) {
                var total = 0.0
                for shape in shapes {
                    guard s < shape.count, shape[s].count == 2 * n else { Issue.record("stack shapes differ"); return }
                    let upper = shape[s][i], lower = shape[s][2 * n - 1 - i]
                    #expect(abs(upper.x - lower.x) < 1e-9)
                    total += lower.y - upper.y
                }
                #expect(abs(total - height) < 0.1, "window \(i): stacks sum to \(total) of \(height)")
                checked += 1
            }
        }
        #expect(checked > 10)
    }
}
