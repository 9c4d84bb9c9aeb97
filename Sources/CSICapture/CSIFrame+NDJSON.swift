/// One-line JSON encoding of frames for `csihar replay --format ndjson`, hand-rolled for speed.
///
/// Field names (kept exactly, other tools rely on them): `timestamp`, `device`, `source`, `sequence` (only when
/// the format has one), `nrx`, `ntx`, `nsub`, `bandwidth`, `subcarriers`, `rssi`, `noise`/`agc` (when present),
/// and `csi: {"re": [...], "im": [...]}` flattened in (tx, rx, subcarrier) order, subcarriers ascending.
/// Floats are written as the shortest decimal that reads back as the same `Float` (integers without a
/// fraction); non-finite values become `null`.
extension CSIFrame {
    /// Appends the frame as one JSON object plus `\n` to `buffer`.
    public func appendNDJSON(to buffer: inout [UInt8]) {
        buffer.reserveCapacity(buffer.count + 64 + real.count * 16 + subcarriers.count * 5)
        JSONWriter.append(#"{"timestamp":"#, to: &buffer)
        JSONWriter.append(timestamp, to: &buffer)
        JSONWriter.append(#","device":""#, to: &buffer)
        JSONWriter.append(device.description, to: &buffer)
        JSONWriter.append(#"","source":""#, to: &buffer)
        JSONWriter.append(source.description, to: &buffer)
        buffer.append(UInt8(ascii: "\""))
        if let sequence {
            JSONWriter.append(#","sequence":"#, to: &buffer)
            JSONWriter.append(sequence, to: &buffer)
        }
        JSONWriter.append(#","nrx":"#, to: &buffer)
        JSONWriter.append(nrx, to: &buffer)
        JSONWriter.append(#","ntx":"#, to: &buffer)
        JSONWriter.append(ntx, to: &buffer)
        JSONWriter.append(#","nsub":"#, to: &buffer)
        JSONWriter.append(nsub, to: &buffer)
        JSONWriter.append(#","bandwidth":"#, to: &buffer)
        JSONWriter.append(bandwidthMHz, to: &buffer)
        JSONWriter.append(#","subcarriers":"#, to: &buffer)
        JSONWriter.append(subcarriers, to: &buffer)
        JSONWriter.append(#","rssi":"#, to: &buffer)
        JSONWriter.append(rssi, to: &buffer)
        if let noise {
            JSONWriter.append(#","noise":"#, to: &buffer)
            JSONWriter.append(noise, to: &buffer)
        }
        if let agc {
            JSONWriter.append(#","agc":"#, to: &buffer)
            JSONWriter.append(agc, to: &buffer)
        }
        JSONWriter.append(#","csi":{"re":"#, to: &buffer)
        JSONWriter.append(real, to: &buffer)
        JSONWriter.append(#","im":"#, to: &buffer)
        JSONWriter.append(imag, to: &buffer)
        JSONWriter.append("}}\n", to: &buffer)
    }

    /// The frame as one NDJSON line (with the trailing newline).
    public var ndjsonLine: String {
        var buffer: [UInt8] = []
        appendNDJSON(to: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}

/// Small writers for JSON tokens into a byte buffer.
enum JSONWriter {
    /// Appends UTF-8 text verbatim (callers pass only text that needs no escaping).
    @inline(__always)
    static func append(_ text: String, to buffer: inout [UInt8]) {
        var text = text
        text.withUTF8 { buffer.append(contentsOf: $0) }
    }

    /// Appends a decimal integer.
    @inline(__always)
    static func append(_ value: Int, to buffer: inout [UInt8]) {
        if value < 0 {
            buffer.append(UInt8(ascii: "-"))
            appendMagnitude(value.magnitude, to: &buffer)
        } else {
            appendMagnitude(UInt(value), to: &buffer)
        }
    }

    /// Appends the digits of `value`.
    @inline(__always)
    static func appendMagnitude(_ value: UInt, to buffer: inout [UInt8]) {
        if value < 10 {
            buffer.append(UInt8(truncatingIfNeeded: value) + 48)
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { raw in
            while rest > 0 {
                raw[19 - count] = UInt8(truncatingIfNeeded: rest % 10) + 48
                rest /= 10
                count += 1
            }
            buffer.append(contentsOf: raw[(20 - count)...])
        }
    }

    /// Appends a Float: integers (|v| < 2^24) without a fraction, others as Swift's shortest round-trip text.
    @inline(__always)
    static func append(_ value: Float, to buffer: inout [UInt8]) {
        if value.isFinite, value == value.rounded(.towardZero), abs(value) < 16_777_216 {
            if value == 0 && value.sign == .minus {
                buffer.append(contentsOf: [UInt8(ascii: "-"), UInt8(ascii: "0")])
            } else {
                append(Int(value), to: &buffer)
            }
        } else if value.isFinite {
            append(value.description, to: &buffer)
        } else {
            append("null", to: &buffer)
        }
    }

    /// Appends a Double as the shortest round-trip text (`null` when not finite).
    @inline(__always)
    static func append(_ value: Double, to buffer: inout [UInt8]) {
        if value.isFinite {
            append(value.description, to: &buffer)
        } else {
            append("null", to: &buffer)
        }
    }

    /// Appends `[a,b,...]` of integers.
    static func append(_ values: [Int], to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "["))
        for (i, value) in values.enumerated() {
            if i > 0 { buffer.append(UInt8(ascii: ",")) }
            append(value, to: &buffer)
        }
        buffer.append(UInt8(ascii: "]"))
    }

    /// Appends `[a,b,...]` of floats.
    static func append(_ values: [Float], to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "["))
        for i in 0..<values.count {
            if i > 0 { buffer.append(UInt8(ascii: ",")) }
            append(values[i], to: &buffer)
        }
        buffer.append(UInt8(ascii: "]"))
    }
}
