import CSICapture
import CSIDaemon
import CSIFeatures
import Foundation

/// The CSI amplitude of one stream as `csihar plot` draws it: per receive chain, `20 log10 |H|` of the 30 layout
/// subcarriers (``FeatureExtractor/chainAmplitudesDB(_:)``) averaged over equal time columns. The stream's frames
/// are read with the daemon's reader and assembled as csihard assembles them (``StreamGrouping``: Nexmon cores of a
/// transmitter joined into one multi-chain measurement).
struct CapturePlotHeatmap {
    /// Receive chains, subcarriers per chain and time columns.
    var chains = 0, subcarriers = FeatureLayout.subcarriersPerAntenna, columns = 0
    /// Seconds each column covers (column `c` covers `[c, c + 1) * columnSeconds` from the first frame).
    var columnSeconds = 1.0
    /// Mean dB, (chains, columns, subcarriers) row-major; `nan` where a column has no measurement.
    var values: [Float] = []
    /// Measurements read, and seconds from the stream's first to its last measurement.
    var measurements = 0, span = 0.0
    /// Measurements whose amplitudes could not be read (shape or grid the feature code refuses).
    var rejected = 0

    /// The value of chain `chain`, column `column`, subcarrier `subcarrier`.
    func value(chain: Int, column: Int, subcarrier: Int) -> Float {
        values[(chain * columns + column) * subcarriers + subcarrier]
    }

    /// The 2nd and 98th percentiles of every finite value, widened to at least 1 dB (the colour scale's range).
    var range: (low: Double, high: Double) {
        let finite = values.filter(\.isFinite).sorted()
        guard !finite.isEmpty else { return (0, 1) }
        let low = Double(finite[Int(Double(finite.count - 1) * 0.02)])
        let high = Double(finite[Int(Double(finite.count - 1) * 0.98)])
        return high - low >= 1 ? (low, high) : ((low + high) / 2 - 0.5, (low + high) / 2 + 0.5)
    }

    /// Reads `capture` and bins the measurements of `stream` into `columns` columns over `duration` seconds from
    /// `origin` (the capture's first frame). A column without a measurement repeats the previous one when that one
    /// lies within 0.5 s, and stays empty (`nan`) otherwise.
    static func read(capture: String, stream: String, grouping: StreamGrouping.Config, origin: Double,
                     duration: Double, columns: Int) throws -> CapturePlotHeatmap {
        let reader: any CaptureReader
        do {
            reader = try CaptureFile.open(path: capture, options: CaptureOptions(follow: false))
        } catch {
            throw CommandFailure("\(capture): \(error)")
        }
        let source = "replay:\(capture)"
        let placing = StreamGrouping(config: grouping)
        let extractor = FeatureExtractor()
        var assembler: StreamAssembler?
        var heatmap = CapturePlotHeatmap()
        heatmap.columns = columns
        heatmap.columnSeconds = duration > 0 ? duration / Double(columns) : 1
        var sums: [Double] = [], counts: [Int] = []
        var first: Double?, last = 0.0
        var refusal: String?

        func add(_ measurement: CSIFrame) {
            let amplitudes: [Float]
            do { amplitudes = try extractor.chainAmplitudesDB(measurement) } catch {
                heatmap.rejected += 1
                refusal = refusal ?? "\(error)"
                return
            }
            if heatmap.chains == 0 {
                heatmap.chains = measurement.nrx
                sums = [Double](repeating: 0, count: heatmap.chains * columns * heatmap.subcarriers)
                counts = [Int](repeating: 0, count: heatmap.chains * columns * heatmap.subcarriers)
            }
            let time = measurement.timestamp - origin
            first = first ?? time
            last = time
            heatmap.measurements += 1
            let column = min(columns - 1, max(0, Int(time / heatmap.columnSeconds)))
            for chain in 0..<min(heatmap.chains, measurement.nrx) {
                for s in 0..<heatmap.subcarriers {
                    let value = amplitudes[chain * heatmap.subcarriers + s]
                    guard value.isFinite else { continue }
                    let index = (chain * columns + column) * heatmap.subcarriers + s
                    sums[index] += Double(value)
                    counts[index] += 1
                }
            }
        }

        do {
            while let frame = try reader.nextFrame() {
                let placement = placing.place(frame, source: source)
                guard placement.key == stream else { continue }
                if assembler == nil { assembler = placing.makeAssembler(for: placement) }
                assembler?.push(frame, chain: placement.boardChain, emit: add)
            }
        } catch {
            // The replay already warned about a reader failure; plot what was read.
        }
        guard heatmap.chains > 0 else {
            throw CommandFailure("\(capture): no amplitudes of \(stream) could be read (\(refusal ?? "no measurement"))")
        }
        heatmap.span = max(0, last - (first ?? last))
        heatmap.values = [Float](repeating: .nan, count: sums.count)
        for chain in 0..<heatmap.chains {
            var lastFilled: Int?
            for column in 0..<columns {
                let row = (chain * columns + column) * heatmap.subcarriers
                if counts[row..<(row + heatmap.subcarriers)].contains(where: { $0 > 0 }) {
                    for s in 0..<heatmap.subcarriers where counts[row + s] > 0 {
                        heatmap.values[row + s] = Float(sums[row + s] / Double(counts[row + s]))
                    }
                    lastFilled = column
                } else if let previous = lastFilled, Double(column - previous) * heatmap.columnSeconds <= 0.5 {
                    let from = (chain * columns + previous) * heatmap.subcarriers
                    for s in 0..<heatmap.subcarriers { heatmap.values[row + s] = heatmap.values[from + s] }
                }
            }
        }
        return heatmap
    }
}
