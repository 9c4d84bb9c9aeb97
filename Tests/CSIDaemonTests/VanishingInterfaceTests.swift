import Foundation
import Testing

/// A veth pair the test creates and deletes with `ip` (needs root and the veth driver; tests skip otherwise).
struct VethPair {
    let capture: String, peer: String

    /// Runs `ip arguments`; true on success.
    @discardableResult
    static func ip(_ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "/sbin/ip")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// Creates the pair, both ends up.
    func create() -> Bool {
        Self.ip(["link", "add", capture, "type", "veth", "peer", "name", peer])
            && Self.ip(["link", "set", capture, "up"]) && Self.ip(["link", "set", peer, "up"])
    }

    /// Deletes the pair (both ends go).
    func delete() { Self.ip(["link", "del", capture]) }
}

/// Sends the Ethernet frames of a pcap file out of an interface (AF_PACKET) in a loop on its own thread, at about
/// `rate` packets/s, until stopped; a missing interface is looked up again every 50 ms.
final class PacketReplayer: @unchecked Sendable {
    private let packets: [[UInt8]]
    private let interface: String
    private let rate: Double
    private let lock = NSLock()
    private var stopped = false
    private var sentCount = 0
    /// Packets sent so far (read under the lock: the sending thread updates it; ThreadSanitizer caught the bare read).
    var sent: Int { lock.withLock { sentCount } }

    /// Reads a classic little-endian pcap file.
    init(pcap path: String, interface: String, rate: Double) throws {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var packets: [[UInt8]] = []
        var offset = 24
        while offset + 16 <= data.count {
            let length = Int(data[offset + 8]) | Int(data[offset + 9]) << 8 | Int(data[offset + 10]) << 16 | Int(data[offset + 11]) << 24
            offset += 16
            guard offset + length <= data.count else { break }
            packets.append(Array(data[offset..<(offset + length)]))
            offset += length
        }
        self.packets = packets
        self.interface = interface
        self.rate = rate
    }

    func start() {
        Thread.detachNewThread { [self] in
            let descriptor = socket(AF_PACKET, Int32(SOCK_RAW.rawValue), 0)
            defer { close(descriptor) }
            var index = 0
            while !lock.withLock({ stopped }) {
                let interfaceIndex = if_nametoindex(interface)
                if interfaceIndex == 0 || packets.isEmpty { Thread.sleep(forTimeInterval: 0.05); continue }
                // struct sockaddr_ll: u16 family, be16 protocol, i32 ifindex, u16 hatype, u8 pkttype, u8 halen, u8 addr[8]
                var address = [UInt8](repeating: 0, count: 20)
                address.withUnsafeMutableBytes { raw in
                    raw.storeBytes(of: UInt16(AF_PACKET), toByteOffset: 0, as: UInt16.self)
                    raw.storeBytes(of: Int32(interfaceIndex), toByteOffset: 4, as: Int32.self)
                    raw[11] = 6
                }
                let packet = packets[index % packets.count]
                let result = packet.withUnsafeBytes { bytes in
                    address.withUnsafeBytes { raw in
                        sendto(descriptor, bytes.baseAddress, bytes.count, 0, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self),
                               socklen_t(raw.count))
                    }
                }
                if result > 0 { lock.withLock { sentCount += 1 } }
                index += 1
                Thread.sleep(forTimeInterval: 1 / rate)
            }
        }
    }

    func stop() { lock.withLock { stopped = true } }
}

/// The real csihard capturing with libpcap on an interface that is deleted and created again: the streams go
/// `stream.down` (`source-lost`), reopening is retried with backoff while it is missing, and the stream comes back.
@Suite struct VanishingInterfaceTests {
    @Test func deletedInterfaceIsReportedRetriedAndComesBack() async throws {
        guard DaemonProcess.available("deletedInterfaceIsReportedRetriedAndComesBack") else { return }
        let suffix = String(getpid() % 100_000)
        let veth = VethPair(capture: "csihc" + suffix, peer: "csihp" + suffix)
        guard geteuid() == 0, veth.create() else {
            print("SKIPPED deletedInterfaceIsReportedRetriedAndComesBack: needs root and veth interfaces (ip link add ... type veth)")
            return
        }
        defer { veth.delete() }
        let socket = temporarySocketPath("veth")
        let sample = repositoryRoot + "/samples/kitchen-nexmon43455c0-80mhz.pcap"
        let run = try await offPool { () throws -> (lines: [String], sent: Int, exit: Int32?, log: String) in
            let daemon = try DaemonProcess(arguments: ["--source", "pcap:" + veth.capture, "--socket", socket])
            guard waitForSocket(socket) else { return ([], 0, nil, daemon.log) }
            let client = try TestClient(path: socket)
            client.send("{\"types\":[\"stream.up\",\"stream.down\",\"stream.error\"]}\n")
            let replayer = try PacketReplayer(pcap: sample, interface: veth.peer, rate: 100)
            replayer.start()
            defer { replayer.stop() }
            var lines = client.readLines(seconds: 5) { $0.contains { $0.hasPrefix("{\"type\":\"stream.up\"") } }
            veth.delete()
            // Missing for 1.5 s: the first reopening (after 1 s) fails, the next (2 s later) finds it again.
            lines += client.readLines(seconds: 1.5)
            _ = veth.create()
            lines += client.readLines(seconds: 8) { $0.filter { $0.hasPrefix("{\"type\":\"stream.up\"") }.count >= 1 }
            let exit = daemon.terminate()
            return (lines, replayer.sent, exit.status, daemon.log)
        }
        let summary = run.lines.compactMap { line -> String? in
            guard let event = try? JSONValue(parsing: line), case .string(let type)? = event["type"] else { return nil }
            switch (type, event["reason"], event["kind"]) {
            case ("stream.down", .string(let reason)?, _): return "down \(reason)"
            case ("stream.error", _, .string(let kind)?): return kind == "features" ? nil : "error \(kind)"
            case ("stream.up", _, _): return "up"
            default: return nil
            }
        }
        print("vanishing veth (\(run.sent) packets sent): \(summary.joined(separator: ", "))")
        #expect(summary == ["up", "error source-lost", "down source-lost", "error source-unavailable", "up"], "\(run.log)")
        #expect(run.lines.contains { $0.contains("retrying in 2 s") }, "the second attempt waits longer")
        #expect(run.exit == 0)
    }
}
