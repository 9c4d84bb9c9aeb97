/// Encodes events as NDJSON: one JSON object per line, keys in a fixed order
/// (`type`, `seq`, `time`, `wall_time`, `stream`, then the payload's keys; README "Events", docs/events.schema.json).
///
/// Hand-written for speed (no Foundation, no reflection); reuse one encoder per thread: it keeps its byte buffer.
public struct NDJSONEncoder: Sendable {
    /// The bytes of the last encoded line (including the trailing `\n`).
    public private(set) var bytes: [UInt8] = []

    /// Creates an encoder.
    public init() { bytes.reserveCapacity(512) }

    /// Encodes `event` as one line ending in `\n` and returns its bytes (valid until the next call).
    @discardableResult
    public mutating func encode(_ event: Event) -> [UInt8] {
        bytes.removeAll(keepingCapacity: true)
        append("{\"type\":\"")
        append(event.type.rawValue)
        append("\",\"seq\":")
        append(String(event.seq))
        append(",\"time\":")
        appendNumber(event.time)
        append(",\"wall_time\":\"")
        append(ISO8601.format(event.wallTime))
        append("\"")
        if let stream = event.stream {
            append(",\"stream\":")
            appendString(stream)
        }
        switch event.payload {
        case .activityStarted(let activity, let confidence, let startTime):
            append(",\"activity\":"); appendString(activity)
            append(",\"confidence\":"); appendNumber(rounded(confidence))
            if let startTime { append(",\"start_time\":"); appendNumber(startTime) }
        case .activityEnded(let activity, let confidence, let duration):
            append(",\"activity\":"); appendString(activity)
            append(",\"confidence\":"); appendNumber(rounded(confidence))
            append(",\"duration\":"); appendNumber(rounded(duration))
        case .fallDetected(let confidence, let fallTime):
            append(",\"confidence\":"); appendNumber(rounded(confidence))
            if let fallTime { append(",\"fall_time\":"); appendNumber(fallTime) }
        case .prediction(let labels, let probabilities, let motionEnergy):
            append(",\"probabilities\":{")
            for (index, label) in labels.enumerated() {
                if index > 0 { append(",") }
                appendString(label)
                append(":")
                appendNumber(index < probabilities.count ? rounded(Double(probabilities[index])) : .nan)
            }
            append("},\"motion_energy\":"); appendNumber(rounded(motionEnergy))
        case .streamUp(let source, let device):
            append(",\"source\":"); appendString(source)
            append(",\"device\":"); appendString(device)
        case .streamDown(let reason):
            append(",\"reason\":"); appendString(reason)
        case .streamError(let kind, let message):
            append(",\"kind\":"); appendString(kind)
            append(",\"message\":"); appendString(message)
        case .heartbeat(let counters):
            append(",\"frames\":"); append(String(counters.frames))
            append(",\"windows\":"); append(String(counters.windows))
            append(",\"events\":"); append(String(counters.events))
            append(",\"streams\":"); append(String(counters.streams))
            append(",\"subscribers\":"); append(String(counters.subscribers))
            append(",\"dropped_lines\":"); append(String(counters.droppedLines))
            append(",\"record_issues\":"); append(String(counters.recordIssues))
            append(",\"frames_dropped\":"); append(String(counters.framesDropped))
            append(",\"frames_rejected\":"); append(String(counters.framesRejected))
            append(",\"latency_p50_ms\":"); appendNumber(rounded(counters.latencyP50Milliseconds))
            append(",\"latency_p99_ms\":"); appendNumber(rounded(counters.latencyP99Milliseconds))
        case .gap(let dropped):
            append(",\"dropped\":"); append(String(dropped))
        case .state(let streams):
            append(",\"streams\":[")
            for (index, entry) in streams.enumerated() {
                if index > 0 { append(",") }
                append("{\"stream\":"); appendString(entry.stream)
                append(",\"source\":"); appendString(entry.source)
                append(",\"device\":"); appendString(entry.device)
                append(",\"activity\":")
                if let activity = entry.activity { appendString(activity) } else { append("null") }
                append(",\"activity_since\":"); appendNumber(entry.activitySince ?? .nan)
                append(",\"last_fall\":"); appendNumber(entry.lastFall ?? .nan)
                append("}")
            }
            append("]")
        }
        append("}\n")
        return bytes
    }

    /// Six significant decimals are plenty for confidences and seconds, and keep lines short.
    private func rounded(_ value: Double) -> Double {
        guard value.isFinite else { return value }
        return (value * 1e6).rounded() / 1e6
    }

    private mutating func append(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// A JSON number; non-finite values become `null` (JSON has no NaN/Inf).
    private mutating func appendNumber(_ value: Double) {
        guard value.isFinite else { append("null"); return }
        if value == value.rounded(), abs(value) < 1e15 {
            append(String(Int64(value)))
        } else if abs(value) < 1e12 {
            // Fixed point, at most 6 decimals, trailing zeros trimmed (no binary-fraction noise like 0.30000000000000004).
            let micros = Int64((abs(value) * 1e6).rounded())
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            append(String(micros / 1_000_000))
            var fraction = micros % 1_000_000
            if fraction > 0 {
                var digits = 6
                while fraction % 10 == 0 { fraction /= 10; digits -= 1 }
                let text = String(fraction)
                bytes.append(UInt8(ascii: "."))
                for _ in 0..<(digits - text.count) { bytes.append(UInt8(ascii: "0")) }
                append(text)
            }
        } else {
            append(value.description)
        }
    }

    /// A JSON string with `"`, `\` and control characters escaped.
    private mutating func appendString(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(byte)
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                append("\\u00")
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// ISO 8601 UTC formatting without Foundation (`2026-11-22T23:40:01.123Z`).
public enum ISO8601 {
    /// Formats seconds since 1970 as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public static func format(_ secondsSince1970: Double) -> String {
        guard secondsSince1970.isFinite else { return "1970-01-01T00:00:00.000Z" }
        let totalMilliseconds = Int64((secondsSince1970 * 1000).rounded(.down))
        var days = totalMilliseconds >= 0 ? totalMilliseconds / 86_400_000 : (totalMilliseconds - 86_399_999) / 86_400_000
        let dayMilliseconds = totalMilliseconds - days * 86_400_000
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        days += 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let hour = dayMilliseconds / 3_600_000
        let minute = dayMilliseconds / 60_000 % 60
        let second = dayMilliseconds / 1000 % 60
        let millisecond = dayMilliseconds % 1000
        return pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(hour, 2) + ":" + pad(minute, 2)
            + ":" + pad(second, 2) + "." + pad(millisecond, 3) + "Z"
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
