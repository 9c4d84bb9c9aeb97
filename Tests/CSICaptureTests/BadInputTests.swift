import Foundation
import Testing
import CSITestSupport
@testable import CSICapture

/// Corrupt, truncated and hostile input: typed issues with file and offset, frames before the fault kept,
/// resynchronisation, counters, no crash and no unbounded allocation.
struct BadInputTests {
    /// The first `count` bytes of a shared capture.
    static func prefix(of relativePath: String, count: Int) throws -> [UInt8]? {
        guard let url = SharedData.file(relativePath) else { return nil }
        return Array(try Data(contentsOf: url).prefix(count))
    }

    /// A deterministic pseudo-random byte generator (xorshift), so failures reproduce.
    struct Bytes: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
    }

    @Test func emptyIntelFileYieldsNothingAndNoIssues() throws {
        guard let url = SharedData.file("captures/intel5300/empty.dat") else { return }
        let reader = try Intel5300Reader(path: url.path)
        #expect(try reader.nextFrame() == nil)
        #expect(reader.issueCounts.isEmpty)
        #expect(try CaptureFile.detectFormat(path: url.path) == .intel5300)
    }

    @Test func everyTruncationPointOfIntelRecords() throws {
        // example.dat: 3x2 records of 395 bytes; take the first three records.
        guard let bytes = try Self.prefix(of: "captures/intel5300/example.dat", count: 3 * 395) else { return }
        let full = try readAll(try Intel5300Reader(path: try TemporaryFile.write(bytes, name: "full.dat")))
        #expect(full.count == 3)
        let path = try TemporaryFile.write([], name: "cut.dat")
        for cut in 0...bytes.count {
            try Data(bytes.prefix(cut)).write(to: URL(fileURLWithPath: path))
            let reader = try Intel5300Reader(path: path)
            let issues = IssueCollector()
            reader.onIssue = issues.append
            let frames = try readAll(reader)
            let whole = cut / 395
            #expect(frames.count == whole, "cut \(cut)")
            #expect(zip(frames, full).allSatisfy { $0.real == $1.real && $0.imag == $1.imag }, "cut \(cut)")
            if cut % 395 == 0 {
                #expect(issues.all.isEmpty, "cut \(cut)")
            } else {
                #expect(issues.all.map(\.kind) == ["truncated"] && issues.all.first?.offset == UInt64(whole * 395),
                        "cut \(cut): \(issues.all)")
            }
        }
    }

    @Test func followModeWaitsForTheRestOfARecord() throws {
        guard let bytes = try Self.prefix(of: "captures/intel5300/example.dat", count: 2 * 395) else { return }
        let path = try TemporaryFile.write(Array(bytes.prefix(500)), name: "growing.dat")
        let reader = try Intel5300Reader(path: path, follow: true)
        #expect(try reader.nextFrame() != nil)
        #expect(try reader.nextFrame() == nil)          // 105 bytes of record 2 so far: wait
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(bytes[500...]))
        try handle.close()
        #expect(try reader.nextFrame() != nil)          // now complete
        #expect(try reader.nextFrame() == nil)
        #expect(reader.issueCounts.isEmpty)
    }

    @Test func followModeResumesAGrowingPcap() throws {
        guard let bytes = try Self.prefix(of: "captures/nexmon/example_4339.pcap", count: 24 + 5 * 1100) else { return }
        let path = try TemporaryFile.write(Array(bytes.prefix(24 + 1100 + 600)), name: "growing.pcap")
        let reader = try NexmonPcapReader(path: path, follow: true)
        #expect(try reader.nextFrame() != nil)
        #expect(try reader.nextFrame() == nil)          // the second record is half written: wait, do not fail
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(bytes[(24 + 1100 + 600)...]))
        try handle.close()
        let rest = try readAll(reader)
        let all = try readAll(try NexmonPcapReader(path: path))
        #expect(rest.count == 4 && all.count == 5)
        #expect(zip(rest, all.dropFirst()).allSatisfy { $0.real == $1.real && $0.sequence == $1.sequence })
        #expect(reader.issueCounts.isEmpty)
    }

    @Test func garbageBetweenIntelRecordsIsSkippedAndResynchronised() throws {
        guard let url = SharedData.file("captures/intel5300/example.dat") else { return }
        let bytes = Array(try Data(contentsOf: url))
        var random = Bytes(state: 0x9E37_79B9_7F4A_7C15)
        let splice = 10 * 395
        let corrupted = Array(bytes[..<splice]) + random.bytes(777) + Array(bytes[splice...])
        let reader = try Intel5300Reader(path: try TemporaryFile.write(corrupted, name: "spliced.dat"))
        let issues = IssueCollector()
        reader.onIssue = issues.append
        let frames = try readAll(reader)
        print("spliced garbage: \(frames.count) frames, issues \(reader.issueCounts), skipped \(reader.skippedBytes) bytes; first issue: \(issues.all.first.map(String.init(describing:)) ?? "none")")
        #expect(frames.count == 26)
        #expect(issues.all.first?.offset == UInt64(splice))
        #expect(reader.skippedBytes == 777)
        #expect(frames.map { $0.sequence ?? -1 } == (try readAll(try Intel5300Reader(path: url.path))).map { $0.sequence ?? -1 })
    }

    @Test func randomBytesNeverCrashAnyReader() throws {
        var random = Bytes(state: 0x1234_5678_9ABC_DEF1)
        for round in 0..<4 {
            let bytes = random.bytes(48 * 1024)
            for (name, open) in [("r\(round).dat", { (p: String) throws -> any CaptureReader in try Intel5300Reader(path: p) }),
                                 ("r\(round).ath", { try AtherosReader(path: $0) }),
                                 ("r\(round).csv", { try ESP32CSVReader(path: $0) })] {
                let reader = try open(try TemporaryFile.write(bytes, name: name))
                let frames = try readAll(reader, limit: 10_000)
                #expect(frames.allSatisfy { $0.real.count == $0.ntx * $0.nrx * $0.nsub })
                #expect(!reader.issueCounts.isEmpty || bytes.isEmpty, "\(name)")
            }
            // Random bytes are not a pcap: libpcap refuses the file with a typed error naming it.
            let path = try TemporaryFile.write(bytes, name: "r\(round).pcap")
            #expect(throws: CaptureError.self) { try NexmonPcapReader(path: path) }
        }
        // Decoders on random record bodies of every length.
        for length in 0..<700 {
            let body = random.bytes(length)
            _ = try? Intel5300Decoder.decodeBody(body)
            var payload = random.bytes(length)
            if length >= 2 { payload[0] = 0x11; payload[1] = 0x11 }
            _ = try? NexmonPayloadDecoder(chipOverride: length % 2 == 0 ? .bcm4366c0 : nil).decode(payload, timestamp: 0)
            _ = try? ESP32CSVReader.decodeLine(random.bytes(length))
        }
    }

    @Test func unsupportedLinkTypeIsATypedErrorWithAHint() throws {
        let path = try TemporaryFile.write(PcapBuilder.file(linkType: 127, packets: [[0, 0, 8, 0, 0, 0, 0, 0]]),
                                           name: "radiotap.pcap")
        do {
            _ = try NexmonPcapReader(path: path)
            Issue.record("a radiotap pcap must be refused")
        } catch let error as CaptureError {
            print("unsupported link type: \(error)")
            #expect(error.source == path)
            #expect(error.reason.contains("127") && error.reason.contains("monitor-mode"))
        }
    }

    @Test func everyTruncationPointOfANexmonPcap() throws {
        // example_4358.pcap: 24-byte header + records of 16 + 1084 bytes.
        guard let bytes = try Self.prefix(of: "captures/nexmon/example_4358.pcap", count: 24 + 3 * 1100) else { return }
        let path = try TemporaryFile.write([], name: "cut.pcap")
        let decoder = NexmonPayloadDecoder(chipOverride: .bcm4358)
        for cut in 0...bytes.count {
            try Data(bytes.prefix(cut)).write(to: URL(fileURLWithPath: path))
            guard cut >= 24 else {
                #expect(throws: CaptureError.self) { try NexmonPcapReader(path: path, decoder: decoder) }
                continue
            }
            let reader = try NexmonPcapReader(path: path, decoder: decoder)
            let frames = try readAll(reader)
            let whole = (cut - 24) / 1100
            #expect(frames.count == whole, "cut \(cut)")
            let partial = (cut - 24) % 1100 != 0
            #expect(reader.issueCounts == (partial ? ["truncated": 1] : [:]), "cut \(cut): \(reader.issueCounts)")
        }
    }

    @Test func everyTruncationPointOfAtherosAndESP32Records() throws {
        if let bytes = try Self.prefix(of: "captures/atheros/ath_csi_1.dat", count: 2 * 1907) {
            let path = try TemporaryFile.write([], name: "cut.ath")
            for cut in 0...bytes.count {
                try Data(bytes.prefix(cut)).write(to: URL(fileURLWithPath: path))
                let reader = try AtherosReader(path: path, bigEndian: false)
                let frames = try readAll(reader)
                #expect(frames.count == cut / 1907, "cut \(cut)")
                #expect(reader.issueCounts == (cut % 1907 != 0 ? ["truncated": 1] : [:]), "cut \(cut)")
            }
        }
        if let bytes = try Self.prefix(of: "captures/esp32/example_csi_noheader.csv", count: 3000) {
            let lineEnds = bytes.indices.filter { bytes[$0] == 0x0A }
            let path = try TemporaryFile.write([], name: "cut.csv")
            for cut in stride(from: 0, through: bytes.count, by: 7) {
                try Data(bytes.prefix(cut)).write(to: URL(fileURLWithPath: path))
                let reader = try ESP32CSVReader(path: path)
                let frames = try readAll(reader)
                let complete = lineEnds.filter { $0 < cut }.count
                // A cut line is reported (no closing bracket / too few values) unless the cut is right at a line end.
                let cutInsideLine = cut > 0 && !lineEnds.contains(cut - 1) && cut != (lineEnds.last.map { $0 + 1 } ?? 0)
                #expect(frames.count == complete, "cut \(cut)")
                // A cut within the first bytes of a line is "not-csi-line"; later it is "truncated": one issue either way.
                #expect(reader.issueCounts.values.reduce(0, +) == (cutInsideLine ? 1 : 0), "cut \(cut): \(reader.issueCounts)")
            }
        }
    }

    @Test func overlongCSVLineIsBoundedAndSkipped() throws {
        guard let url = SharedData.file("captures/esp32/example_csi_noheader.csv") else { return }
        let good = Array(try Data(contentsOf: url))
        let huge = [UInt8](repeating: UInt8(ascii: "7"), count: 1 << 20) + [0x0A]
        let reader = try ESP32CSVReader(path: try TemporaryFile.write(huge + good, name: "long.csv"))
        let frames = try readAll(reader)
        #expect(frames.count == 13)
        #expect(reader.issueCounts == ["line-too-long": 1])
    }
}
