import Foundation
import Testing
import CSITestSupport
@testable import CSICapture

/// The hand-rolled NDJSON encoding parses as JSON and round-trips every Float exactly.
struct CSIFrameNDJSONTests {
    @Test func floatsRoundTripExactly() throws {
        var generator = SystemRandomNumberGenerator()
        var values: [Float] = [0, -0.0, 1, -1, 16_777_215, 16_777_216, 3.4e38, -1.17549435e-38, 1e-45, 0.1, 6.34211,
                               .infinity, .nan]
        for _ in 0..<2000 {
            values.append(Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &generator)))
        }
        let count = values.count
        let frame = CSIFrame(timestamp: 1_530_241_466.398192, device: .nexmon(chip: 101),
                             source: CSISourceID(transmitter: [1, 2, 3, 4, 5, 0xab], core: 2, spatialStream: 1),
                             sequence: 7, rssi: [-60], ntx: 1, nrx: 1, subcarriers: Array(0..<count),
                             real: values, imag: values.reversed())
        let line = frame.ndjsonLine
        #expect(line.hasSuffix("}\n") && line.dropLast().firstIndex(of: "\n") == nil)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["timestamp"] as? Double == 1_530_241_466.398192)
        #expect(object["source"] as? String == "01:02:03:04:05:ab/core2/ss1")
        #expect(object["sequence"] as? Int == 7 && object["nsub"] as? Int == count)
        let csi = try #require(object["csi"] as? [String: Any])
        let re = try #require(csi["re"] as? [Any])
        var mismatches = 0
        for (i, value) in values.enumerated() {
            if value.isFinite {
                let parsed = (re[i] as? NSNumber).map { Float($0.doubleValue) }
                if parsed != value && !(parsed == 0 && value == 0) { mismatches += 1 }
            } else {
                if !(re[i] is NSNull) { mismatches += 1 }
            }
        }
        print("NDJSON float round trip: \(values.count) values, \(mismatches) mismatches")
        #expect(mismatches == 0)
    }

    @Test func intelFrameHasTheInterfaceFields() throws {
        guard let url = SharedData.file("captures/intel5300/log.all_csi.6.7.6.dat") else { return }
        let frame = try #require(try Intel5300Reader(path: url.path).nextFrame())
        let object = try #require(try JSONSerialization.jsonObject(with: Data(frame.ndjsonLine.utf8)) as? [String: Any])
        for key in ["timestamp", "source", "sequence", "nrx", "ntx", "nsub", "subcarriers", "rssi", "csi"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        let csi = try #require(object["csi"] as? [String: [Double]])
        #expect(csi["re"]?.count == 90 && csi["im"]?.count == 90)
        #expect((object["subcarriers"] as? [Int]) == Intel5300Decoder.subcarriers20MHz)
        // Element (tx 0, rx 2, subcarrier 0) is antenna C of the spec test vector: -5+14j.
        #expect(csi["re"]?[60] == -5 && csi["im"]?[60] == 14)
    }
}
