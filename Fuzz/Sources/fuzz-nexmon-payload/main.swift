import FuzzSupport
import CSICapture

/// Chip override chosen by the first input byte (`nil`: the chip id in the payload decides).
private let chips: [NexmonChip?] = [nil] + NexmonChip.allCases.map { Optional($0) }

/// libFuzzer entry: byte 0 picks the chip override (low bits) and autoscale (bit 7); the rest is one Nexmon CSI
/// UDP payload (18-byte header + CSI), decoded with ``NexmonPayloadDecoder``.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNexmonPayload(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size >= 1 else { return 0 }
    let control = data[0]
    let decoder = NexmonPayloadDecoder(chipOverride: chips[Int(control & 0x7F) % chips.count],
                                       autoscale: control & 0x80 == 0)
    let payload = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    if let frame = try? decoder.decode(payload, timestamp: 1.5) {
        precondition(frame.real.count == frame.ntx * frame.nrx * frame.nsub && frame.imag.count == frame.real.count)
        var line: [UInt8] = []
        frame.appendNDJSON(to: &line)
    }
    return 0
}

FuzzDriver.run(fuzzNexmonPayload)
