import CSICapture
import CSIDaemon
import CSIFeatures
import Foundation
import NIOConcurrencyHelpers
import Testing

/// A frame on the Intel 20 MHz grid whose antenna `loud` is 20 dB above the others, from transmitter `mac`.
func syntheticFrame(time: Double, loud: Int, mac: UInt8 = 1, jitter: Float = 0) -> CSIFrame {
    let subcarriers = FeatureLayout.intelSubcarriers20MHz
    var real = [Float](repeating: 0, count: 3 * subcarriers.count)
    let imag = [Float](repeating: 0, count: real.count)
    for antenna in 0..<3 {
        for index in 0..<subcarriers.count {
            real[antenna * subcarriers.count + index] = (antenna == loud ? 100 : 10) + jitter * Float(index % 3)
        }
    }
    return CSIFrame(timestamp: time, device: .simulated, source: CSISourceID(transmitter: [0, 0x11, 0x22, 0x33, 0x44, mac]),
                    rssi: [40, 40, 40], ntx: 1, nrx: 3, subcarriers: subcarriers, real: real, imag: imag)
}

/// A classifier whose behaviour the tests control: "walk" when antenna 0 is louder than antenna 1 on average over
/// the window, else "sit down". Records batch sizes.
final class AntennaClassifier: WindowClassifier, @unchecked Sendable {
    let labels = ["lie down", "fall", "walk", "pick up", "run", "sit down", "stand up"]
    let steps: Int
    let features = 90
    let sampleRateHz: Double
    let name = "antenna-test-classifier"
    private let lock = NIOLock()
    private var _batches: [Int] = []
    var batches: [Int] { lock.withLock { _batches } }
    /// Seconds to sleep per batch (to simulate a slow model).
    var delay: Double = 0

    init(steps: Int = 50, sampleRateHz: Double = 50) {
        self.steps = steps
        self.sampleRateHz = sampleRateHz
    }

    func classify(windows: UnsafeMutableBufferPointer<Float>, batch: Int, into probabilities: UnsafeMutableBufferPointer<Float>) throws {
        lock.withLock { _batches.append(batch) }
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        let size = steps * features, classes = labels.count
        for b in 0..<batch {
            var first = 0.0, second = 0.0
            for t in 0..<steps {
                for s in 0..<30 {
                    first += Double(windows[b * size + t * features + s])
                    second += Double(windows[b * size + t * features + 30 + s])
                }
            }
            let winner = first > second ? 2 : 5
            for c in 0..<classes { probabilities[b * classes + c] = c == winner ? 0.88 : 0.02 }
        }
    }
}

/// A blocking Unix-socket client for tests.
final class TestClient: @unchecked Sendable {
    let descriptor: Int32

    /// Connects; `receiveBuffer` shrinks SO_RCVBUF (for a stalled subscriber).
    init(path: String, receiveBuffer: Int32? = nil) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if result != 0 {
            // No close here: the object is fully initialised, so deinit runs and closes it. Closing it here too
            // closed whatever descriptor another thread had been given the same number meanwhile (NIO's accepted
            // sockets failed with EBADF when a test retried connecting thousands of times).
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    deinit { close(descriptor) }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Reads lines for up to `seconds`, or until `until` returns true for the lines so far, or EOF.
    func readLines(seconds: Double, until: ([String]) -> Bool = { _ in false }) -> [String] {
        var lines: [String] = []
        return readTimedLines(seconds: seconds) { line, _ in
            lines.append(line)
            return until(lines)
        }.map(\.line)
    }

    /// Reads lines with their arrival times for up to `seconds`, or until `until(line, arrival)` returns true for
    /// the latest line, or EOF.
    func readTimedLines(seconds: Double, until: (String, Date) -> Bool = { _, _ in false }) -> [(line: String, arrival: Date)] {
        var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        let end = Date().addingTimeInterval(seconds)
        var lines: [(line: String, arrival: Date)] = []
        reading: while Date() < end {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { break }
            if count > 0 {
                let arrival = Date()
                data.append(contentsOf: buffer[0..<count])
                var consumed = 0
                while let newline = data[consumed...].firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: data[consumed..<newline], as: UTF8.self)
                    consumed = newline + 1
                    lines.append((line, arrival))
                    if until(line, arrival) {
                        data.removeSubrange(0..<consumed)
                        break reading
                    }
                }
                data.removeSubrange(0..<consumed)
            }
        }
        return lines
    }
}

/// Parses one NDJSON line.
func object(_ line: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
}

/// A fresh short socket path (sun_path is limited to 108 bytes).
func temporarySocketPath(_ name: String) -> String {
    let directory = "/tmp/csihard-test-\(getpid())"
    mkdir(directory, 0o700)
    return "\(directory)/\(name)-\(UInt32.random(in: 0...UInt32.max)).sock"
}

/// Resident set size of process `pid` (VmRSS in /proc/PID/status), kB; 0 when unreadable.
func residentKilobytes(pid: Int32) -> Int {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }
    return 0
}

/// Runs blocking work (child processes, socket reads, sleeps) on a thread of its own, so that it does not hold one
/// of the few threads of Swift's cooperative pool, which the in-process server and daemon tests need to make
/// progress. Keep `#expect` out of `body` (it runs outside the test's task): return what to check.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}

/// Runs `executable` to completion (in `directory` when given); returns its exit status and stdout + stderr.
func runProcess(_ executable: URL, _ arguments: [String], in directory: String? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Parses `text` as `bad.toml` and expects it refused with a one-line message starting with `message`.
func expectConfigRejected(_ text: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
    do {
        _ = try DaemonConfigFile.parse(text, path: "bad.toml")
        Issue.record("accepted \(text.debugDescription)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.description.hasPrefix(message), "got: \(error.description)", sourceLocation: sourceLocation)
        #expect(!error.description.contains("\n"), "one line: \(error.description)", sourceLocation: sourceLocation)
    }
}
