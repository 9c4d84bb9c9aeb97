import Foundation

/// A strict reader of the Prometheus text exposition format 0.0.4, for the metrics tests: it parses every line
/// and lists every rule a text breaks (``problems``), rather than trusting a Prometheus client library.
///
/// Rules: every line is `# HELP name text`, `# TYPE name type` or a sample `name{label="value",...} value`
/// (no timestamps, no other comments); a family's HELP (required) comes before its TYPE, its TYPE once and before
/// its samples, and its samples together; counters are named `_total` with non-negative values; histogram
/// series have buckets with increasing `le`, cumulative counts, a last `+Inf` bucket equal to `_count`, and a
/// `_sum`; no series twice; label names valid and unique within a series.
struct ExpositionChecker {
    /// One sample line.
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// Every sample, in order.
    private(set) var samples: [Sample] = []
    /// Family types by name.
    private(set) var types: [String: String] = [:]
    /// HELP texts by family name.
    private(set) var help: [String: String] = [:]
    /// Every rule broken, with the line number.
    private(set) var problems: [String] = []

    /// Parses and checks `text`.
    init(_ text: String) {
        if !text.isEmpty && !text.hasSuffix("\n") { problems.append("the text does not end with a line feed") }
        var current: String?
        var closed: Set<String> = []
        var seen: Set<String> = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let number = index + 1
            func fail(_ what: String) { problems.append("line \(number): \(what): \(line)") }
            if line.hasPrefix("# HELP ") {
                let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1)
                guard let name = parts.first.map(String.init), Self.isMetricName(name) else { fail("bad HELP"); continue }
                if help[name] != nil { fail("second HELP for \(name)") }
                if types[name] != nil { fail("HELP after TYPE for \(name)") }
                help[name] = parts.count > 1 ? String(parts[1]) : ""
                continue
            }
            if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                guard parts.count == 2, Self.isMetricName(String(parts[0])),
                      ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[1]) else { fail("bad TYPE"); continue }
                let name = String(parts[0])
                if types[name] != nil { fail("second TYPE for \(name)") }
                if help[name] == nil { fail("no HELP before the TYPE of \(name)") }
                if parts[1] == "counter" && !name.hasSuffix("_total") { fail("counter \(name) is not named _total") }
                if parts[1] != "counter" && name.hasSuffix("_total") { fail("\(parts[1]) \(name) is named _total") }
                types[name] = String(parts[1])
                if let current { closed.insert(current) }
                current = name
                continue
            }
            if line.hasPrefix("#") { fail("unexpected comment"); continue }
            guard let sample = Self.parseSample(String(line)) else { fail("not `name{labels} value`"); continue }
            let family = family(of: sample.name)
            guard let type = types[family] else { fail("sample before its family's TYPE"); continue }
            if family != current || closed.contains(family) { fail("sample of \(family) away from its family") }
            if type == "counter" && sample.value < 0 { fail("negative counter") }
            let identity = sample.name + "{" + sample.labels.keys.sorted().map { "\($0)=\(sample.labels[$0]!)" }.joined(separator: ",") + "}"
            if !seen.insert(identity).inserted { fail("series \(identity) twice") }
            samples.append(sample)
        }
        checkHistograms()
    }

    /// The family a sample belongs to (`_bucket`, `_sum`, `_count` of a histogram).
    private func family(of name: String) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if types[base] == "histogram" { return base }
        }
        return name
    }

    private mutating func checkHistograms() {
        for (name, type) in types where type == "histogram" {
            var series: [String: [(le: Double, count: Double)]] = [:]
            var counts: [String: Double] = [:], sums: Set<String> = []
            func key(_ labels: [String: String]) -> String {
                labels.filter { $0.key != "le" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            }
            for sample in samples {
                if sample.name == name + "_bucket" {
                    guard let text = sample.labels["le"], let le = text == "+Inf" ? .infinity : Double(text) else {
                        problems.append("\(name): bucket without a numeric le"); continue
                    }
                    series[key(sample.labels), default: []].append((le, sample.value))
                } else if sample.name == name + "_count" {
                    counts[key(sample.labels)] = sample.value
                } else if sample.name == name + "_sum" {
                    sums.insert(key(sample.labels))
                }
            }
            if series.isEmpty { problems.append("\(name): histogram without buckets") }
            for (labels, buckets) in series {
                for (previous, next) in zip(buckets, buckets.dropFirst()) {
                    if next.le <= previous.le { problems.append("\(name){\(labels)}: le not increasing at \(next.le)") }
                    if next.count < previous.count { problems.append("\(name){\(labels)}: buckets not cumulative at le=\(next.le)") }
                }
                if buckets.last?.le != .infinity { problems.append("\(name){\(labels)}: no +Inf bucket last") }
                if buckets.last?.count != counts[labels] { problems.append("\(name){\(labels)}: +Inf bucket != _count") }
                if !sums.contains(labels) { problems.append("\(name){\(labels)}: no _sum") }
            }
        }
    }

    /// The samples named `name` whose labels include `labels`.
    func values(_ name: String, _ labels: [String: String] = [:]) -> [Double] {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }.map(\.value)
    }

    /// The single value of `name{labels}`, nil when there is not exactly one.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let found = values(name, labels)
        return found.count == 1 ? found[0] : nil
    }

    static func isMetricName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first == ":" || (first.isASCII && first.properties.isAlphabetic) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || $0 == ":" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    static func isLabelName(_ name: String) -> Bool {
        isMetricName(name) && !name.contains(":") && !name.hasPrefix("__")
    }

    /// `name{labels} value` (labels optional), or nil.
    static func parseSample(_ line: String) -> Sample? {
        var rest = Substring(line)
        let name = String(rest.prefix { $0 != "{" && $0 != " " })
        guard isMetricName(name) else { return nil }
        rest = rest.dropFirst(name.count)
        var labels: [String: String] = [:]
        if rest.hasPrefix("{") {
            rest = rest.dropFirst()
            while !rest.hasPrefix("}") {
                let label = String(rest.prefix { $0 != "=" })
                guard isLabelName(label), labels[label] == nil else { return nil }
                rest = rest.dropFirst(label.count)
                guard rest.hasPrefix("=\"") else { return nil }
                rest = rest.dropFirst(2)
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    if character == "\\" {
                        guard let escaped = rest.first, ["\\", "\"", "n"].contains(escaped) else { return nil }
                        value.append(escaped == "n" ? "\n" : escaped)
                        rest = rest.dropFirst()
                    } else {
                        value.append(character)
                    }
                }
                guard rest.hasPrefix("\"") else { return nil }
                rest = rest.dropFirst()
                labels[label] = value
                if rest.hasPrefix(",") {
                    rest = rest.dropFirst()
                    guard !rest.hasPrefix("}") else { return nil }
                } else if !rest.hasPrefix("}") {
                    return nil
                }
            }
            rest = rest.dropFirst()
        }
        guard rest.hasPrefix(" ") else { return nil }
        let text = rest.dropFirst()
        guard !text.contains(" ") else { return nil }   // no timestamps
        let value: Double
        switch text {
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default:
            guard let number = Double(text), text.allSatisfy({ "0123456789.eE+-".contains($0) }) else { return nil }
            value = number
        }
        return Sample(name: name, labels: labels, value: value)
    }
}
