/// Finds the UDP payload of a captured packet: strips the link layer, checks IPv4 and UDP (csi-formats.md §3.3-3.4).
///
/// The payload is bounded by the UDP length and the IPv4 total length, never by the captured length (Ethernet
/// trailers and FCS bytes are ignored). Fragments are refused: Nexmon's IP id is constant, so they cannot be
/// reassembled.
public struct UDPPacketDissector: Sendable {
    /// The libpcap DLT value of the packets.
    public let linkType: Int32
    /// Only datagrams to this UDP port are accepted (`nil`: any port).
    public var destinationPort: UInt16?

    /// A packet that does not carry a wanted UDP payload.
    public struct Skip: Error, Sendable {
        /// Counter category: `truncated`, `not-ipv4`, `bad-ip-header`, `not-udp`, `fragment`, `other-port`.
        public var kind: String
        /// Human-readable reason.
        public var reason: String
    }

    /// DLT values this dissector understands, with their names.
    public static let supportedLinkTypes: [Int32: String] = [
        1: "EN10MB (Ethernet)", 113: "LINUX_SLL (Linux cooked v1)", 276: "LINUX_SLL2 (Linux cooked v2)",
        12: "RAW (raw IP)", 14: "RAW (raw IP, OpenBSD)", 101: "RAW (raw IP, LINKTYPE value)", 228: "IPV4",
    ]

    /// Creates a dissector, or `nil` when `linkType` is not supported.
    public init?(linkType: Int32, destinationPort: UInt16? = 5500) {
        guard Self.supportedLinkTypes[linkType] != nil else { return nil }
        self.linkType = linkType
        self.destinationPort = destinationPort
    }

    /// The byte range of the UDP payload inside `packet` (the captured bytes; `originalLength` is the wire length).
    public func payloadRange(in packet: UnsafeRawBufferPointer, originalLength: Int) -> Result<Range<Int>, Skip> {
        let captured = packet.count
        @inline(__always) func be16(_ at: Int) -> Int { Int(packet[at]) << 8 | Int(packet[at + 1]) }
        func truncated(_ need: Int) -> Result<Range<Int>, Skip> {
            .failure(Skip(kind: "truncated",
                          reason: "captured \(captured) of \(originalLength) bytes, headers/payload need \(need)"))
        }

        // Link layer -> offset of the IPv4 header.
        var ipOffset: Int
        switch linkType {
        case 1:
            var typeOffset = 12
            guard captured >= typeOffset + 2 else { return truncated(typeOffset + 2) }
            var etherType = be16(typeOffset)
            while etherType == 0x8100 || etherType == 0x88A8 {
                typeOffset += 4
                guard captured >= typeOffset + 2 else { return truncated(typeOffset + 2) }
                etherType = be16(typeOffset)
            }
            guard etherType == 0x0800 else {
                return .failure(Skip(kind: "not-ipv4", reason: "ethertype 0x\(String(etherType, radix: 16)) is not IPv4"))
            }
            ipOffset = typeOffset + 2
        case 113:
            guard captured >= 16 else { return truncated(16) }
            guard be16(14) == 0x0800 else {
                return .failure(Skip(kind: "not-ipv4", reason: "SLL protocol 0x\(String(be16(14), radix: 16)) is not IPv4"))
            }
            ipOffset = 16
        case 276:
            guard captured >= 20 else { return truncated(20) }
            guard be16(0) == 0x0800 else {
                return .failure(Skip(kind: "not-ipv4", reason: "SLL2 protocol 0x\(String(be16(0), radix: 16)) is not IPv4"))
            }
            ipOffset = 20
        default:
            ipOffset = 0
        }

        // IPv4.
        guard captured >= ipOffset + 20 else { return truncated(ipOffset + 20) }
        let versionIHL = packet[ipOffset]
        guard versionIHL >> 4 == 4 else {
            return .failure(Skip(kind: "not-ipv4", reason: "IP version \(versionIHL >> 4)"))
        }
        let headerLength = Int(versionIHL & 0x0F) * 4
        let totalLength = be16(ipOffset + 2)
        guard headerLength >= 20, totalLength >= headerLength + 8 else {
            return .failure(Skip(kind: "bad-ip-header",
                                 reason: "IPv4 header length \(headerLength), total length \(totalLength)"))
        }
        guard packet[ipOffset + 9] == 17 else {
            return .failure(Skip(kind: "not-udp", reason: "IP protocol \(packet[ipOffset + 9]) is not UDP"))
        }
        guard be16(ipOffset + 6) & 0x3FFF == 0 else {
            return .failure(Skip(kind: "fragment", reason: "IPv4 fragment (flags/offset 0x\(String(be16(ipOffset + 6), radix: 16))) dropped"))
        }

        // UDP.
        let udpOffset = ipOffset + headerLength
        guard captured >= udpOffset + 8 else { return truncated(udpOffset + 8) }
        let port = be16(udpOffset + 2)
        if let destinationPort, port != Int(destinationPort) {
            return .failure(Skip(kind: "other-port", reason: "UDP destination port \(port)"))
        }
        let udpLength = be16(udpOffset + 4)
        guard udpLength >= 8 else {
            return .failure(Skip(kind: "bad-ip-header", reason: "UDP length \(udpLength) < 8"))
        }
        let payloadLength = min(udpLength, totalLength - headerLength) - 8
        let payloadStart = udpOffset + 8
        guard captured >= payloadStart + payloadLength else { return truncated(payloadStart + payloadLength) }
        return .success(payloadStart..<(payloadStart + payloadLength))
    }
}
