import Foundation
import Testing
import CSITestSupport
@testable import CSICapture

/// ESP32-CSI-Tool CSV and Atheros CSI Tool readers against csiread 1.4.1.
struct ESP32AndAtherosReaderTests {
    static let tolerance = 1e-5

    @Test(arguments: ["example_csi_noheader", "example_data", "example_100hz_pitraffic"])
    func esp32MatchesCSIRead(name: String) throws {
        let fixture = try ReferenceFixture("esp32_\(name)")
        guard let url = fixture.captureURL() else { return }
        let reader = try ESP32CSVReader(path: url.path)
        let issues = IssueCollector()
        reader.onIssue = issues.append
        let frames = try readAll(reader)
        print("esp32 \(name): csihar \(frames.count) frames, csiread \(fixture.count); issues \(issues.all)")
        #expect(frames.count == fixture.count)
        // The lines the reference dropped (odd value count) are exactly the ones reported, with their offsets.
        let dropped = fixture.ints("dropped_lines")
        #expect(issues.all.count == dropped.count)
        if let lineNumber = dropped.first, let issue = issues.all.first {
            let text = try String(contentsOf: url, encoding: .utf8)
            let lineOffset = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                .prefix(lineNumber - 1).reduce(0) { $0 + $1.count + 1 }
            #expect(issue.offset == UInt64(lineOffset) && issue.kind == "truncated")
        }
        #expect(frames.map { $0.rssi.first ?? 0 } == fixture.ints("rssi"))
        #expect(frames.map { $0.extras["local_timestamp"] ?? -1 } == fixture.ints("local_timestamp"))
        let macs = (fixture.json["mac"] as? [String]) ?? []
        #expect(frames.map { $0.source.transmitterString } == macs.map { $0.lowercased() })
        #expect(frames.map { $0.extras["secondary_channel"] ?? -1 } == fixture.ints("secondary_channel"))
        #expect(frames.allSatisfy { $0.subcarriers == ($0.extras["secondary_channel"] == 1 ? Array(0...63) : Array(-32...31)) })
        let report = FrameChecksums.compare(frames, with: fixture, block: "frames")
        print("esp32 \(name) vs csiread: maxdiff \(report.maxRelative) (\(report.framesCompared) frames, \(report.samplesCompared) value by value)")
        #expect(report.framesCompared == fixture.count && report.maxRelative <= Self.tolerance)
    }

    @Test func atherosMatchesCSIRead() throws {
        let fixture = try ReferenceFixture("atheros_ath_csi_1")
        guard let url = fixture.captureURL() else { return }
        let reader = try AtherosReader(path: url.path)
        let frames = try readAll(reader)
        print("atheros: csihar \(frames.count) frames, csiread \(fixture.count); issues \(reader.issueCounts); big-endian \(reader.bigEndian as Any)")
        #expect(frames.count == fixture.count)
        #expect(reader.bigEndian == false)
        #expect(frames.map(\.nrx) == fixture.ints("nr") && frames.map(\.ntx) == fixture.ints("nc"))
        #expect(frames.map { $0.extras["timestamp_us"] ?? -1 } == fixture.ints("timestamp"))
        let report = FrameChecksums.compare(frames, with: fixture, block: "frames")
        print("atheros vs csiread (remapped to the MATLAB stream order): maxdiff \(report.maxRelative) (\(report.framesCompared) frames, \(report.samplesCompared) value by value)")
        #expect(report.framesCompared == fixture.count && report.maxRelative <= Self.tolerance)
    }

    @Test func atherosBigEndianFramingDecodesTheSameFrames() throws {
        guard let url = SharedData.file("captures/atheros/ath_csi_1.dat") else { return }
        let little = Array(try Data(contentsOf: url).prefix(3 * 1907))
        // Same records written by a big-endian host: framing and header fields swapped, CSI words unchanged.
        var big: [UInt8] = []
        var offset = 0
        while offset + 2 <= little.count {
            var record = Array(little[offset..<(offset + 1907)])
            record[0...1].reverse()                       // buf_len
            record[2...9].reverse()                       // timestamp u64
            for field in [10, 12, 25] { record[field...(field + 1)].reverse() }   // csi_len, channel, payload_len
            big += record
            offset += 1907
        }
        let bigReader = try AtherosReader(path: try TemporaryFile.write(big, name: "big.ath"))
        let bigFrames = try readAll(bigReader)
        let littleFrames = try readAll(try AtherosReader(path: try TemporaryFile.write(little, name: "little.ath")))
        #expect(bigReader.bigEndian == true)
        #expect(bigFrames.count == 3 && littleFrames.count == 3)
        #expect(zip(bigFrames, littleFrames).allSatisfy {
            $0.real == $1.real && $0.imag == $1.imag && $0.timestamp == $1.timestamp && $0.extras == $1.extras
        })
    }

    @Test func esp32SubcarrierMappingFollowsSecondaryChannel() throws {
        func line(secondary: Int, values: [Int]) -> [UInt8] {
            let text = "CSI_DATA,STA,AA:BB:CC:DD:EE:FF,-50,11,1,0,0,0,0,0,0,0,0,-90,0,6,\(secondary),1000,0,100,0,0,0.5,384,["
                + values.map(String.init).joined(separator: " ") + " ]"
            return Array(text.utf8)
        }
        // item i = (imag, real) = (-i, i) for i in 0..<64
        let values = (0..<64).flatMap { [-($0 % 100), $0 % 100] }
        let none = try ESP32CSVReader.decodeLine(line(secondary: 0, values: values))
        #expect(none.subcarriers.first == -32 && none.subcarriers.last == 31)
        #expect(none.real[0] == 32 && none.imag[0] == -32 && none.real[32] == 0 && none.real[63] == 31)
        let below = try ESP32CSVReader.decodeLine(line(secondary: 1, values: values))
        #expect(below.subcarriers == Array(0...63) && below.real[5] == 5)
        let above = try ESP32CSVReader.decodeLine(line(secondary: 2, values: values))
        #expect(above.subcarriers == Array(-64...(-1)) && above.real[0] == 0)
        #expect(throws: RecordDecodeError.self) { try ESP32CSVReader.decodeLine(line(secondary: 0, values: [1, 2, 3])) }
        // A non-finite or absurd real_timestamp is treated as unset, never trapped on.
        for real in ["1e300", "nan", "inf", "-1e19"] {
            let text = String(decoding: line(secondary: 0, values: values), as: UTF8.self).replacingOccurrences(of: ",0.5,", with: ",\(real),")
            #expect(try ESP32CSVReader.decodeLine(Array(text.utf8)).extras["real_timestamp_us"] == 0)
        }
        #expect(throws: RecordDecodeError.self) { try ESP32CSVReader.decodeLine(Array(line(secondary: 0, values: values).dropLast(2))) }
    }
}
