import Foundation
import Testing
import CSITestSupport
@testable import CSICapture

/// The readers' in-memory initialisers (used by the fuzz targets in Fuzz/) decode exactly what the file path
/// decodes: the same frames (compared as NDJSON lines) and the same issues, also for damaged input.
struct InMemoryReaderTests {
    /// `bytes` with every 997th byte from `start` flipped (damage that forces resynchronisation).
    static func damaged(_ bytes: [UInt8], from start: Int) -> [UInt8] {
        var copy = bytes
        for index in stride(from: start, to: copy.count, by: 997) { copy[index] ^= 0x5A }
        return copy
    }

    static func compare(_ name: String, file: some CaptureReader & CaptureProgressReporting,
                        memory: some CaptureReader & CaptureProgressReporting) throws {
        let fromFile = try readAll(file).map(\.ndjsonLine)
        let fromMemory = try readAll(memory).map(\.ndjsonLine)
        let firstDifference = zip(fromFile, fromMemory).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        print("\(name): \(fromFile.count) frames from the file, \(fromMemory.count) from memory; issues \(file.issueCounts) / \(memory.issueCounts); first difference \(firstDifference.map(String.init) ?? "none")")
        #expect(fromFile.count > 0)
        #expect(fromFile.count == fromMemory.count && firstDifference == nil)
        #expect(file.issueCounts == memory.issueCounts)
    }

    @Test func intel5300() throws {
        let sample = SharedData.repositoryRoot().appendingPathComponent("samples/fall-1khz-intel5300.dat")
        let bytes = Array(try Data(contentsOf: sample).prefix(200_000))
        for (label, input) in [("intact", bytes), ("damaged", Self.damaged(bytes, from: 5_000))] {
            let path = try TemporaryFile.write(input, name: "memory-\(label).dat")
            try Self.compare("intel5300 \(label)", file: try Intel5300Reader(path: path), memory: Intel5300Reader(bytes: input))
        }
    }

    @Test func esp32() throws {
        let sample = SharedData.repositoryRoot().appendingPathComponent("samples/hallway-esp32.csv")
        let bytes = Array(try Data(contentsOf: sample).prefix(200_000))
        for (label, input) in [("intact", bytes), ("damaged", Self.damaged(bytes, from: 3_000))] {
            let path = try TemporaryFile.write(input, name: "memory-\(label).csv")
            try Self.compare("esp32 \(label)", file: try ESP32CSVReader(path: path), memory: ESP32CSVReader(bytes: input))
        }
    }

    @Test func atheros() throws {
        guard let url = SharedData.file("captures/atheros/ath_csi_1.dat") else { return }
        let bytes = Array(try Data(contentsOf: url).prefix(200_000))
        for (label, input) in [("intact", bytes), ("damaged", Self.damaged(bytes, from: 2_000))] {
            let path = try TemporaryFile.write(input, name: "memory-\(label).ath")
            try Self.compare("atheros \(label)", file: try AtherosReader(path: path), memory: AtherosReader(bytes: input))
        }
    }
}
