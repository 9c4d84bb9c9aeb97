import Foundation
import Testing
import CSICapture
import CSIFeatures
@testable import CSISimulator

/// A fresh temporary directory for one test.
func temporaryDirectory(_ name: String) -> String {
    let path = NSTemporaryDirectory() + "csihar-sim-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// All frames of a capture file through the project's reader; also returns the reader's issue counts.
func readAll(_ reader: any CaptureReader) throws -> [CSIFrame] {
    var frames: [CSIFrame] = []
    while let frame = try reader.nextFrame() { frames.append(frame) }
    return frames
}

private let shortScript = "idle 0.3s, walk 0.4s, fall 0.3s"

@Suite struct WriterRoundTripTests {
    @Test func intel5300WriterRoundTripsThroughIntel5300Reader() throws {
        let dir = temporaryDirectory("intel")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let simulator = Simulator(config: SimulationConfig(device: .intel5300, seed: 3, rateHz: 500),
                                  script: try ActivityScript(parsing: shortScript))
        let written = simulator.frames()
        let path = dir + "/rt.dat"
        let output = try simulator.write(to: path)
        #expect(output.frames == written.count && written.count > 400)
        let reader = try Intel5300Reader(path: path, hostTimePath: "")
        let read = try readAll(reader)
        #expect(reader.issueCounts.isEmpty)
        try #require(read.count == written.count)
        var maxDiff: Float = 0
        var maxTimeDiff = 0.0
        for (a, b) in zip(written, read) {
            #expect(a.nrx == b.nrx && a.ntx == b.ntx && a.rssi == b.rssi && a.agc == b.agc && a.noise == b.noise)
            #expect(a.sequence == b.sequence && b.extras["antenna_sel"] == a.extras["antenna_sel"])
            for i in 0..<a.real.count {
                maxDiff = max(maxDiff, abs(a.real[i] - b.real[i]), abs(a.imag[i] - b.imag[i]))
            }
            maxTimeDiff = max(maxTimeDiff, abs((b.timestamp - read[0].timestamp) - (a.timestamp - written[0].timestamp)))
        }
        print("intel5300 writer -> Intel5300Reader: \(read.count) frames, CSI maxdiff = \(maxDiff), time maxdiff = \(maxTimeDiff) s")
        #expect(maxDiff == 0)
        #expect(maxTimeDiff < 1e-6)
        // the sidecar is next to it
        let sidecar = try String(contentsOfFile: dir + "/rt.labels.csv", encoding: .utf8)
        #expect(sidecar == "start,end,activity\n0.000,0.300,idle\n0.300,0.700,walk\n0.700,1.000,fall\n")
    }

    @Test(arguments: [(SimulatedDevice.nexmon43455c0, 20), (.nexmon43455c0, 80), (.nexmon4366c0, 20), (.nexmon4366c0, 80)])
    func nexmonWriterRoundTripsThroughNexmonPcapReader(device: SimulatedDevice, bandwidth: Int) throws {
        let dir = temporaryDirectory("nexmon")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let simulator = Simulator(config: SimulationConfig(device: device, seed: 5, rateHz: 100, bandwidthMHz: bandwidth),
                                  script: try ActivityScript(parsing: shortScript))
        let written = simulator.frames()
        let path = dir + "/rt.pcap"
        _ = try simulator.write(to: path)
        let reader = try NexmonPcapReader(path: path)
        let read = try readAll(reader)
        #expect(reader.issueCounts.isEmpty, "\(reader.issueCounts)")
        try #require(read.count == written.count)
        var maxRelative = 0.0
        for (a, b) in zip(written, read) {
            #expect(a.source == b.source && a.sequence == b.sequence && a.rssi == b.rssi && a.nsub == b.nsub)
            #expect(a.bandwidthMHz == b.bandwidthMHz && a.subcarriers == b.subcarriers && a.device == b.device)
            #expect(abs(a.timestamp - b.timestamp) < 1e-6)
            // int16 chips are exact; packed float is exact up to mantissa rounding and the per-packet autoscale 2^k
            var peakA = 0.0, peakB = 0.0
            for i in 0..<a.real.count {
                peakA = max(peakA, Double(abs(a.real[i])), Double(abs(a.imag[i])))
                peakB = max(peakB, Double(abs(b.real[i])), Double(abs(b.imag[i])))
            }
            let ratio = peakA > 0 ? peakB / peakA : 1
            let scale = device == .nexmon4366c0 ? pow(2, (log2(ratio)).rounded()) : 1
            for i in 0..<a.real.count {
                let dr = abs(Double(b.real[i]) / scale - Double(a.real[i])) / peakA
                let di = abs(Double(b.imag[i]) / scale - Double(a.imag[i])) / peakA
                maxRelative = max(maxRelative, dr, di)
            }
        }
        print("\(device.rawValue) \(bandwidth) MHz writer -> NexmonPcapReader: \(read.count) packets, "
              + "maxdiff relative to packet peak = \(maxRelative)")
        // packed float: half an LSB of the 11-bit mantissa plus the reader's truncating autoscale (1 LSB of 2^10)
        #expect(maxRelative < (device == .nexmon4366c0 ? 2e-3 : 1e-9))
    }

    @Test func esp32WriterRoundTripsThroughESP32CSVReader() throws {
        let dir = temporaryDirectory("esp32")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let simulator = Simulator(config: SimulationConfig(device: .esp32, seed: 9, rateHz: 100),
                                  script: try ActivityScript(parsing: shortScript))
        let written = simulator.frames()
        let path = dir + "/rt.csv"
        _ = try simulator.write(to: path)
        let reader = try ESP32CSVReader(path: path)
        let read = try readAll(reader)
        #expect(reader.issueCounts.isEmpty, "\(reader.issueCounts)")
        try #require(read.count == written.count)
        var maxDiff: Float = 0
        for (a, b) in zip(written, read) {
            #expect(a.subcarriers == b.subcarriers && a.rssi == b.rssi && a.source == b.source)
            #expect(abs(a.timestamp - b.timestamp) < 1e-6)
            for i in 0..<a.real.count { maxDiff = max(maxDiff, abs(a.real[i] - b.real[i]), abs(a.imag[i] - b.imag[i])) }
        }
        print("esp32 writer -> ESP32CSVReader: \(read.count) lines, CSI maxdiff = \(maxDiff)")
        #expect(maxDiff == 0)
    }
}
