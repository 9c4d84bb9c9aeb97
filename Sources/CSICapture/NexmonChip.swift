/// The Broadcom chips Nexmon CSI supports, by the chip id the firmware writes into payload bytes 16-17.
public enum NexmonChip: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    /// BCM4339 (Nexus 5): int16 CSI.
    case bcm4339 = 1
    /// BCM4358 (Nexus 6P): packed-float CSI, 9-bit mantissas, 5-bit exponent.
    case bcm4358 = 3
    /// BCM43455c0 (Raspberry Pi 3B+/4): int16 CSI.
    case bcm43455c0 = 101
    /// BCM4366c0 (Asus RT-AC86U): packed-float CSI, 12-bit mantissas, 6-bit exponent.
    case bcm4366c0 = 106

    /// Parses `4339`, `bcm4339`, `43455c0`, `4358`, `4366c0` (case-insensitive) or a numeric chip id.
    public init?(name: String) {
        var text = name.lowercased()
        if text.hasPrefix("bcm") { text.removeFirst(3) }
        switch text {
        case "4339": self = .bcm4339
        case "4358": self = .bcm4358
        case "43455c0", "43455": self = .bcm43455c0
        case "4366c0", "4366": self = .bcm4366c0
        default:
            guard let id = UInt16(text), let chip = NexmonChip(rawValue: id) else { return nil }
            self = chip
        }
    }

    /// `bcm4339`, `bcm4358`, `bcm43455c0`, `bcm4366c0`.
    public var description: String {
        switch self {
        case .bcm4339: return "bcm4339"
        case .bcm4358: return "bcm4358"
        case .bcm43455c0: return "bcm43455c0"
        case .bcm4366c0: return "bcm4366c0"
        }
    }

    /// The packed-float layout `(mantissa bits including sign, exponent bits)`, or `nil` for int16 chips.
    public var floatLayout: (mantissaBits: Int, exponentBits: Int)? {
        switch self {
        case .bcm4339, .bcm43455c0: return nil
        case .bcm4358: return (9, 5)
        case .bcm4366c0: return (12, 6)
        }
    }
}
