import Foundation
import Testing
import CSITestSupport
@testable import CSICapture
#if canImport(Glibc)
import Glibc
#endif

/// Live sources: libpcap on the loopback interface with UDP packets built from a shared capture, and the Intel
/// 5300 netlink message parsing with synthesized datagrams (the driver itself needs the hardware).
struct LiveSourceTests {
    /// UDP payloads of the first `count` packets of a classic little-endian Ethernet pcap (test-side parser:
    /// 24-byte file header, 16-byte record headers, payload after 42 bytes bounded by the UDP length).
    static func udpPayloads(of url: URL, count: Int) throws -> [[UInt8]] {
        let bytes = Array(try Data(contentsOf: url))
        var offset = 24
        var payloads: [[UInt8]] = []
        while payloads.count < count, offset + 16 <= bytes.count {
            let captured = Int(bytes[offset + 8]) | Int(bytes[offset + 9]) << 8 | Int(bytes[offset + 10]) << 16
            let packet = Array(bytes[(offset + 16)..<(offset + 16 + captured)])
            let udpLength = Int(packet[38]) << 8 | Int(packet[39])
            payloads.append(Array(packet[42..<(42 + udpLength - 8)]))
            offset += 16 + captured
        }
        return payloads
    }

    @Test func pcapLiveCaptureOnLoopback() throws {
        guard let url = SharedData.file("captures/nexmon/example_43455c0.pcap") else { return }
        let count = 20
        let payloads = try Self.udpPayloads(of: url, count: count)
        let expected = Array(try readAll(try NexmonPcapReader(path: url.path)).prefix(count))
        let source = PcapLiveSource(interface: "lo", filter: "udp dst port 5500")
        do {
            try source.start()
        } catch let error as CaptureError {
            print("SKIP: live capture on lo is not permitted here: \(error)")
            return
        }
        defer { source.stop() }

        let sender = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(sender >= 0)
        defer { close(sender) }
        var destination = sockaddr_in()
        destination.sin_family = sa_family_t(AF_INET)
        destination.sin_port = UInt16(5500).bigEndian
        destination.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        usleep(100_000)   // let the capture thread enter pcap_dispatch
        for payload in payloads {
            let sent = payload.withUnsafeBytes { raw in
                withUnsafePointer(to: &destination) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(sender, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            #expect(sent == payload.count)
        }
        var frames: [CSIFrame] = []
        let deadline = Date(timeIntervalSinceNow: 5)
        while frames.count < count, Date() < deadline {
            if let frame = source.nextFrame(timeout: 0.5) { frames.append(frame) }
        }
        let started = Date()
        source.stop()
        print("live lo: \(frames.count) of \(count) frames, issues \(source.issueCounts), stop took \(Date().timeIntervalSince(started)) s")
        #expect(frames.count == count)
        let matching = zip(frames, expected).filter { $0.real == $1.real && $0.imag == $1.imag && $0.sequence == $1.sequence }
        #expect(matching.count == count)
        #expect(!source.isRunning)
    }

    /// A netlink datagram: nlmsghdr + cn_msg + `message` (code + body), host order, padded to 4 bytes.
    static func datagram(_ messages: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (sequence, message) in messages.enumerated() {
            let length = 16 + 20 + message.count
            var part: [UInt8] = []
            func u32(_ v: UInt32) { part += withUnsafeBytes(of: v, Array.init) }
            func u16(_ v: UInt16) { part += withUnsafeBytes(of: v, Array.init) }
            u32(UInt32(length)); u16(3); u16(0); u32(UInt32(sequence)); u32(0)            // nlmsghdr
            u32(26); u32(1); u32(UInt32(sequence)); u32(0); u16(UInt16(message.count)); u16(0)   // cn_msg
            part += message
            while part.count % 4 != 0 { part.append(0) }
            bytes += part
        }
        return bytes
    }

    @Test func netlinkDatagramsDecodeToFrames() throws {
        let recordA = Intel5300RecordBuilder.record(timestampLow: 11, bfeeCount: 1)
        let recordB = Intel5300RecordBuilder.record(timestampLow: 22, bfeeCount: 2, nrx: 3, ntx: 2)
        let messageA = Array(recordA[2...]), messageB = Array(recordB[2...])
        #expect(try Intel5300NetlinkSource.messages(inDatagram: Self.datagram([messageA])) == [messageA])
        #expect(try Intel5300NetlinkSource.messages(inDatagram: Self.datagram([messageA, messageB])) == [messageA, messageB])

        let source = Intel5300NetlinkSource()
        source.feed(datagram: Self.datagram([messageA, messageB]), hostTime: 1000.5)
        source.feed(datagram: Self.datagram([[0xC1, 1, 2, 3]]), hostTime: 1001)
        var truncated = Self.datagram([messageA])
        truncated.removeLast(40)
        source.feed(datagram: truncated, hostTime: 1002)
        let first = try #require(try source.nextFrame())
        let second = try #require(try source.nextFrame())
        #expect(try source.nextFrame() == nil)
        #expect(first.timestamp == 1000.5 && first.extras["timestamp_low"] == 11 && first.sequence == 1)
        #expect(second.ntx == 2 && second.sequence == 2)
        let direct = try #require(try Intel5300Decoder.decodeMessage(messageB))
        #expect(second.real == direct.real && second.imag == direct.imag)
        #expect(source.issueCounts == ["skipped-code": 1, "bad-netlink": 1])
    }
}
