/// A capture source named on the command line or in the config: `replay:FILE`, `pcap:IFACE`, `netlink`.
public enum SourceSpec: Sendable, Hashable, CustomStringConvertible {
    /// Replay a capture file (any format `CaptureFile.open` reads).
    case replay(path: String)
    /// Live Nexmon capture with libpcap on an interface.
    case pcap(interface: String)
    /// Live Intel 5300 capture over netlink.
    case netlink

    /// Parses `replay:FILE`, `pcap:IFACE` or `netlink`; the error names the accepted forms.
    public init(parsing text: String) throws(SourceSpecError) {
        if text == "netlink" { self = .netlink; return }
        if text.hasPrefix("replay:"), text.count > 7 { self = .replay(path: String(text.dropFirst(7))); return }
        if text.hasPrefix("pcap:"), text.count > 5 { self = .pcap(interface: String(text.dropFirst(5))); return }
        throw SourceSpecError(text: text)
    }

    /// The source name used in stream keys and events (`replay:FILE`, `pcap:IFACE`, `netlink`).
    public var description: String {
        switch self {
        case .replay(let path): return "replay:\(path)"
        case .pcap(let interface): return "pcap:\(interface)"
        case .netlink: return "netlink"
        }
    }
}

/// A source string that is none of the accepted forms.
public struct SourceSpecError: Error, Sendable, CustomStringConvertible {
    /// The rejected text.
    public var text: String
    /// The message.
    public var description: String { "bad source \"\(text)\": expected replay:FILE, pcap:IFACE or netlink" }
}
