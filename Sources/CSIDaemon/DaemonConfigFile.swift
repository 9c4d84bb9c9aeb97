import CSICapture
import Foundation
import Logging

/// Reads `csihard.toml` into ``DaemonSettings`` (every key is optional; see systemd/csihard.toml). The file is parsed
/// by TOMLKit (``TOMLReader``); a syntax error, an unknown key (with the nearest known key suggested), a wrong type or
/// an out-of-range value stops startup with `file:line: key: reason`.
public enum DaemonConfigFile {
    /// Loads and validates `path` over `base` (default: the built-in defaults).
    public static func load(path: String, base: DaemonSettings = DaemonSettings()) throws(ConfigError) -> DaemonSettings {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(path: path, line: 0, key: nil, reason: "cannot read the config file (\(FileErrorReason.describe(error)))")
        }
        return try parse(text, path: path, base: base)
    }

    /// Parses config text; `path` is only used in error messages.
    public static func parse(_ text: String, path: String, base: DaemonSettings = DaemonSettings()) throws(ConfigError) -> DaemonSettings {
        let document: (entries: [TOMLEntry], arrayTables: [(name: String, index: Int, line: Int)])
        do {
            document = try TOMLReader.parseDocument(text)
        } catch {
            throw ConfigError(path: path, line: error.line, key: error.key, reason: error.reason)
        }
        var settings = base
        let entries = document.entries.filter { !isTableArrayKey($0.key) }
        try applyTableArrays(document.entries.filter { isTableArrayKey($0.key) }, tables: document.arrayTables,
                             path: path, to: &settings)
        for entry in entries {
            guard let apply = keys[entry.key] else {
                throw ConfigError(path: path, line: entry.line, key: entry.key, reason: unknownKey(entry.key))
            }
            do {
                try apply(&settings, entry.value)
            } catch {
                throw ConfigError(path: path, line: entry.line, key: entry.key, reason: error.reason)
            }
        }
        if let model = entries.first(where: { $0.key == "model.path" }), document.arrayTables.contains(where: { $0.name == "route" }) {
            throw ConfigError(path: path, line: model.line, key: model.key,
                              reason: "give either model.path (one model for every stream it fits) or [[route]] tables, not both")
        }
        settings.pipeline.configuredSmootherKeys.formUnion(entries.compactMap {
            $0.key.hasPrefix("smoother.") ? String($0.key.dropFirst("smoother.".count)) : nil
        })
        try checkMQTT(entries: entries, path: path, settings: settings)
        // Cross-field checks of the smoother (labels come from the model later).
        var smoother = settings.pipeline.smoother
        if smoother.labels.isEmpty { smoother.labels = ["check"] }
        do {
            try smoother.validate()
        } catch {
            let line = entries.last { $0.key == "smoother." + error.field }?.line ?? 0
            throw ConfigError(path: path, line: line, key: "smoother." + error.field, reason: error.reason)
        }
        return settings
    }

    /// Every accepted key, sorted (`[[route]]` and `[[group]]` keys as `route[N].key`, `group[N].key`).
    public static var knownKeys: [String] {
        (keys.keys + routeKeys.keys.map { "route[N].\($0)" } + groupKeys.map { "group[N].\($0)" }).sorted()
    }

    /// Why `key` (of no table array) is refused: the nearest known key when there is one, else the keys of its table,
    /// else the known tables.
    static func unknownKey(_ key: String) -> String {
        if let near = nearestKey(to: key, among: Array(keys.keys)) { return "unknown key; did you mean \(near)?" }
        let table = key.split(separator: ".").first.map(String.init) ?? key
        let siblings = keys.keys.filter { $0.hasPrefix(table + ".") }.map { String($0.dropFirst(table.count + 1)) }.sorted()
        if key.contains("."), !siblings.isEmpty { return "unknown key ([\(table)] has \(siblings.joined(separator: ", ")))" }
        let tables = Set(keys.keys.compactMap { $0.split(separator: ".").first.map(String.init) }).sorted().map { "[\($0)]" }
        return "unknown key (known tables: \((tables + ["[[route]]", "[[group]]"]).joined(separator: ", ")))"
    }

    /// The candidate nearest to `key`: within 2 edits (insertions, deletions, substitutions, swaps of neighbours),
    /// or the same last part in another table, or extending `key` (or extended by it) by a `_word` or more; nil
    /// if none is near.
    static func nearestKey(to key: String, among candidates: [String]) -> String? {
        let leaf = key.split(separator: ".").last.map(String.init) ?? key
        var best: (key: String, score: Int)?
        for candidate in candidates.sorted() {
            var score = editDistance(key, candidate)
            if score > 2 {
                let candidateLeaf = candidate.split(separator: ".").last.map(String.init) ?? candidate
                if candidateLeaf == leaf {
                    score = 3
                } else if leaf.count >= 3, candidate.hasPrefix(key + "_") || key.hasPrefix(candidate + "_") {
                    score = 4
                } else {
                    continue
                }
            }
            if best == nil || score < best!.score { best = (candidate, score) }
        }
        return best?.key
    }

    /// Optimal-string-alignment distance (Damerau-Levenshtein without moves across edits) between `a` and `b`.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var before = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var row = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            row[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { row[j] = min(row[j], before[j - 2] + 1) }
            }
            (before, previous, row) = (previous, row, before)
        }
        return previous[b.count]
    }

    /// Why a value is rejected.
    struct Rejected: Error { var reason: String }

    typealias Apply = @Sendable (inout DaemonSettings, TOMLValue) throws(Rejected) -> Void

    /// Every `table.key` applier: the daemon's own, `[mqtt]`'s (``mqttKeys``) and `[metrics]`'s (``metricsKeys``).
    private static let keys: [String: Apply] = coreKeys.merging(mqttKeys) { core, _ in core }.merging(metricsKeys) { core, _ in core }

    private static let coreKeys: [String: Apply] = [
        // [daemon]
        "daemon.log_level": { settings, value throws(Rejected) in
            let level = try string(value)
            guard Logger.Level(rawValue: level) != nil else {
                throw Rejected(reason: "'\(level)' is not one of trace, debug, info, notice, warning, error, critical")
            }
            settings.logLevel = level
        },
        "daemon.heartbeat_seconds": { settings, value throws(Rejected) in settings.heartbeatSeconds = try number(value, above: 0) },
        "daemon.exit_when_done": { settings, value throws(Rejected) in settings.exitWhenDone = try boolean(value) },
        "daemon.wait_for_subscriber": { settings, value throws(Rejected) in settings.waitForSubscriber = try boolean(value) },
        // [sources]
        "sources.inputs": { settings, value throws(Rejected) in
            settings.sources = try strings(value).map { (text: String) throws(Rejected) -> SourceSpec in
                do { return try SourceSpec(parsing: text) } catch { throw Rejected(reason: "\(error)") }
            }
        },
        "sources.speed": { settings, value throws(Rejected) in
            if case .string("max") = value { settings.speed = 0 } else {
                do { settings.speed = try number(value, above: 0) } catch {
                    throw Rejected(reason: "must be a number > 0 or \"max\", not \(value)")
                }
            }
        },
        "sources.loop": { settings, value throws(Rejected) in settings.loop = try boolean(value) },
        "sources.follow": { settings, value throws(Rejected) in settings.follow = try boolean(value) },
        "sources.queue_frames": { settings, value throws(Rejected) in settings.liveQueueFrames = try integer(value, in: 16...1_000_000) },
        "sources.retry_max_seconds": { settings, value throws(Rejected) in settings.retryMaxSeconds = try number(value, above: 0) },
        // [model]
        "model.path": { settings, value throws(Rejected) in settings.modelPath = try string(value) },
        // [socket]
        "socket.path": { settings, value throws(Rejected) in
            let path = try string(value)
            guard !path.isEmpty, path.utf8.count < 108 else { throw Rejected(reason: "must be a non-empty path under 108 bytes") }
            settings.socketPath = path
        },
        "socket.mode": { settings, value throws(Rejected) in
            let mode: Int
            switch value {
            case .integer(let number): mode = number
            case .string(let text):
                guard let parsed = Int(text, radix: 8) else { throw Rejected(reason: "'\(text)' is not an octal mode like \"0660\"") }
                mode = parsed
            default: throw Rejected(reason: "must be an octal mode (0o660 or \"0660\"), not a \(value.typeName)")
            }
            guard (0...0o777).contains(mode) else { throw Rejected(reason: "must be within 0o000...0o777") }
            settings.socketMode = UInt16(mode)
        },
        "socket.group": { settings, value throws(Rejected) in
            let group = try string(value)
            settings.socketGroup = group.isEmpty ? nil : group
        },
        "socket.queue_lines": { settings, value throws(Rejected) in settings.subscriberQueue = try integer(value, in: 1...1_000_000) },
        "socket.max_subscribers": { settings, value throws(Rejected) in
            settings.maximumSubscribers = try integer(value, in: 1...100_000)
        },
        "socket.allow_users": { settings, value throws(Rejected) in
            try allow(users: try idStrings(value), groups: nil, into: &settings)
        },
        "socket.allow_groups": { settings, value throws(Rejected) in
            try allow(users: nil, groups: try idStrings(value), into: &settings)
        },
        "socket.max_request_bytes": { settings, value throws(Rejected) in
            settings.maximumRequestLength = try integer(value, in: 64...1_048_576)
        },
        "socket.max_calibration_bytes": { settings, value throws(Rejected) in
            settings.maximumCalibrationRequestLength = try integer(value, in: 4096...16_777_216)
        },
        // [state]
        "state.directory": { settings, value throws(Rejected) in
            let path = try string(value)
            guard !path.isEmpty else { throw Rejected(reason: "must be a non-empty path") }
            settings.stateDirectory = path
        },
        // [pipeline]
        "pipeline.hop_seconds": { settings, value throws(Rejected) in settings.pipeline.hopSeconds = try number(value, above: 0) },
        "pipeline.workers": { settings, value throws(Rejected) in
            settings.workers = try integer(value, in: 1...DaemonSettings.maximumWorkers)
        },
        "pipeline.max_batch": { settings, value throws(Rejected) in settings.pipeline.maxBatch = try integer(value, in: 1...4096) },
        "pipeline.silence_seconds": { settings, value throws(Rejected) in settings.pipeline.silenceSeconds = try number(value, above: 0) },
        "pipeline.predictions": { settings, value throws(Rejected) in settings.pipeline.predictions = try boolean(value) },
        "pipeline.group": { settings, value throws(Rejected) in
            let text = try string(value)
            guard let mode = StreamGrouping.Mode(rawValue: text) else {
                throw Rejected(reason: "'\(text)' is not one of \(StreamGrouping.Mode.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))")
            }
            settings.pipeline.grouping.mode = mode
        },
        "pipeline.rate_probe_seconds": { settings, value throws(Rejected) in
            settings.pipeline.rateProbeSeconds = try number(value, above: 0)
            guard settings.pipeline.rateProbeSeconds <= 60 else { throw Rejected(reason: "must be <= 60") }
        },
        // [smoother] (ranges checked together by SmootherConfig.validate)
        "smoother.averaging_seconds": { settings, value throws(Rejected) in settings.pipeline.smoother.averagingSeconds = try number(value) },
        "smoother.enter_confidence": { settings, value throws(Rejected) in settings.pipeline.smoother.enterConfidence = try number(value) },
        "smoother.exit_confidence": { settings, value throws(Rejected) in settings.pipeline.smoother.exitConfidence = try number(value) },
        "smoother.minimum_seconds": { settings, value throws(Rejected) in settings.pipeline.smoother.minimumSeconds = try number(value) },
        "smoother.onset_lookback_seconds": { settings, value throws(Rejected) in
            settings.pipeline.smoother.onsetLookbackSeconds = try number(value)
        },
        "smoother.exit_seconds": { settings, value throws(Rejected) in settings.pipeline.smoother.exitSeconds = try number(value) },
        "smoother.idle_confidence": { settings, value throws(Rejected) in settings.pipeline.smoother.idleConfidence = try number(value) },
        "smoother.idle_motion_energy": { settings, value throws(Rejected) in settings.pipeline.smoother.idleMotionEnergy = try number(value) },
        "smoother.idle_label": { settings, value throws(Rejected) in settings.pipeline.smoother.idleLabel = try string(value) },
        "smoother.fall_label": { settings, value throws(Rejected) in settings.pipeline.smoother.fallLabel = try string(value) },
        "smoother.fall_confidence": { settings, value throws(Rejected) in settings.pipeline.smoother.fallConfidence = try number(value) },
        "smoother.fall_averaging_seconds": { settings, value throws(Rejected) in
            settings.pipeline.smoother.fallAveragingSeconds = try number(value)
        },
        "smoother.fall_cooldown_seconds": { settings, value throws(Rejected) in
            settings.pipeline.smoother.fallCooldownSeconds = try number(value)
        },
        "smoother.fall_confirm_seconds": { settings, value throws(Rejected) in
            settings.pipeline.smoother.fallConfirmSeconds = try number(value)
        },
        "smoother.fall_peak_confidence": { settings, value throws(Rejected) in
            settings.pipeline.smoother.fallPeakConfidence = try number(value)
        },
        "smoother.fall_recovery_labels": { settings, value throws(Rejected) in
            settings.pipeline.smoother.recoveryLabels = Set(try strings(value))
        },
        "smoother.fall_already_down_labels": { settings, value throws(Rejected) in
            settings.pipeline.smoother.fallAlreadyDownLabels = Set(try strings(value))
        },
        "smoother.fall_already_down_seconds": { settings, value throws(Rejected) in
            settings.pipeline.smoother.fallAlreadyDownSeconds = try number(value)
        },
        "smoother.fall_already_down_minimum_seconds": { settings, value throws(Rejected) in
            settings.pipeline.smoother.fallAlreadyDownMinimumSeconds = try number(value)
        },
        "smoother.gap_reset_seconds": { settings, value throws(Rejected) in settings.pipeline.smoother.gapResetSeconds = try number(value) },
    ]

    // MARK: typed accessors

    /// An array of ids or names: integers and strings both accepted.
    private static func idStrings(_ value: TOMLValue) throws(Rejected) -> [String] {
        guard case .array(let values) = value else { throw Rejected(reason: "must be an array of ids or names, not a \(value.typeName)") }
        return try values.map { (item: TOMLValue) throws(Rejected) -> String in
            switch item {
            case .integer(let id) where id >= 0 && id <= Int(UInt32.max): return String(id)
            case .string(let name): return name
            default: throw Rejected(reason: "must be an array of non-negative ids or names (found \(item))")
            }
        }
    }

    /// Replaces the users or the groups of the allow-list (an empty list with no users or groups left: none).
    private static func allow(users: [String]?, groups: [String]?, into settings: inout DaemonSettings) throws(Rejected) {
        do {
            let parsed = try PeerAllowList(users: users ?? [], groups: groups ?? [])
            var list = settings.allowList ?? PeerAllowList()
            if users != nil { list.uids = parsed.uids }
            if groups != nil { list.gids = parsed.gids }
            settings.allowList = list.uids.isEmpty && list.gids.isEmpty ? nil : list
        } catch {
            throw Rejected(reason: error.description)
        }
    }

    static func string(_ value: TOMLValue) throws(Rejected) -> String {
        guard case .string(let text) = value else { throw Rejected(reason: "must be a string, not a \(value.typeName)") }
        return text
    }

    static func boolean(_ value: TOMLValue) throws(Rejected) -> Bool {
        guard case .boolean(let flag) = value else { throw Rejected(reason: "must be true or false, not a \(value.typeName)") }
        return flag
    }

    static func strings(_ value: TOMLValue) throws(Rejected) -> [String] {
        guard case .array(let values) = value else { throw Rejected(reason: "must be an array of strings, not a \(value.typeName)") }
        return try values.map { (item: TOMLValue) throws(Rejected) -> String in
            guard case .string(let text) = item else { throw Rejected(reason: "must be an array of strings (found a \(item.typeName))") }
            return text
        }
    }

    /// A finite number (integer or float), optionally required to be > `above`.
    static func number(_ value: TOMLValue, above: Double? = nil) throws(Rejected) -> Double {
        let number: Double
        switch value {
        case .integer(let integer): number = Double(integer)
        case .float(let float): number = float
        default: throw Rejected(reason: "must be a number, not a \(value.typeName)")
        }
        guard number.isFinite else { throw Rejected(reason: "must be finite") }
        if let above, number <= above { throw Rejected(reason: "must be > \(above.formatted()), not \(number)") }
        return number
    }

    static func integer(_ value: TOMLValue, in range: ClosedRange<Int>) throws(Rejected) -> Int {
        guard case .integer(let integer) = value else { throw Rejected(reason: "must be an integer, not a \(value.typeName)") }
        guard range.contains(integer) else { throw Rejected(reason: "must be within \(range.lowerBound)...\(range.upperBound), not \(integer)") }
        return integer
    }
}

private extension Double {
    /// `0.2` rather than `0.2000000001`-style noise; integers without `.0`.
    func formatted() -> String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self) }
}

/// A config file problem: file, line, key, reason.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// The file.
    public var path: String
    /// 1-based line (0 when not tied to a line).
    public var line: Int
    /// The key (`table.key`), when known.
    public var key: String?
    /// Why.
    public var reason: String

    /// Creates an error.
    public init(path: String, line: Int, key: String?, reason: String) {
        self.path = path
        self.line = line
        self.key = key
        self.reason = reason
    }

    /// `file:line: key: reason`.
    public var description: String {
        var text = path
        if line > 0 { text += ":\(line)" }
        if let key { text += ": \(key)" }
        return text + ": " + reason
    }
}
