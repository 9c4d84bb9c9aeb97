/// The label sidecar of a capture: a CSV `start,end,activity` with times in seconds from the capture's first
/// frame (its timestamp is time 0).
public enum LabelSidecar {
    /// The CSV text for `segments` (header line, then one line per segment, times with millisecond precision).
    public static func csv(_ segments: [ActivitySegment]) -> String {
        var text = "start,end,activity\n"
        for segment in segments {
            text += "\(format(segment.start)),\(format(segment.end)),\(segment.activity.label)\n"
        }
        return text
    }

    /// Writes the sidecar to `path`.
    public static func write(_ segments: [ActivitySegment], to path: String) throws(WriterError) {
        let output = try BinaryFileWriter(path: path)
        try output.write(csv(segments))
        try output.close()
    }

    /// A decimal with 3 fractional digits (no Foundation formatting).
    static func format(_ value: Double) -> String {
        let millis = Int((value * 1000).rounded())
        let sign = millis < 0 ? "-" : ""
        let magnitude = abs(millis)
        let fraction = String(magnitude % 1000)
        return sign + String(magnitude / 1000) + "." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
