import Foundation

/// Tidies the text exposition a `PrometheusCollectorRegistry` emits (format 0.0.4): families sorted by name
/// (the registry keeps them in a dictionary, so its order changes from run to run), a `# HELP` line before each
/// family's `# TYPE` from ``MetricsCatalogue`` (swift-metrics cannot carry help text), and the series of a
/// counter or gauge sorted by their labels. Histogram series keep the registry's order (buckets ascending, then
/// `_sum` and `_count`).
public enum PrometheusExposition {
    /// The content type of the text format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// One family: its header lines and samples.
    private struct Family {
        var name: String
        var type: String
        var help: String?
        var samples: [Substring] = []
    }

    /// `text` rearranged: families by name, HELP from `help` (a HELP line already present wins), samples sorted
    /// within counters and gauges. Lines before the first `# TYPE` (none from the registry) are kept first.
    public static func arrange(_ text: String, help: [String: String] = MetricsCatalogue.help) -> String {
        var families: [Family] = []
        var leading: [Substring] = []
        var pendingHelp: (name: Substring, text: Substring)?
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                let name = rest.prefix { $0 != " " }
                pendingHelp = (name, rest.dropFirst(name.count + 1))
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1)
                let name = String(parts.first ?? "")
                var family = Family(name: name, type: parts.count > 1 ? String(parts[1]) : "untyped")
                if let pending = pendingHelp, pending.name == name { family.help = String(pending.text) }
                pendingHelp = nil
                families.append(family)
            } else if families.isEmpty {
                leading.append(line)
            } else {
                families[families.count - 1].samples.append(line)
            }
        }
        families.sort { $0.name < $1.name }
        var output = ""
        output.reserveCapacity(text.utf8.count + families.count * 96)
        for line in leading { output += line; output += "\n" }
        for family in families {
            if let text = family.help ?? help[family.name].map(escapeHelp) {
                output += "# HELP \(family.name) \(text)\n"
            }
            output += "# TYPE \(family.name) \(family.type)\n"
            let samples = family.type == "histogram" ? family.samples : family.samples.sorted()
            for sample in samples { output += sample; output += "\n" }
        }
        return output
    }

    /// Help text escaped for a HELP line (backslash and line feed).
    static func escapeHelp(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
    }
}
