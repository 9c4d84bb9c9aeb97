/// An activity the simulated person performs. Labels match the UT-HAR order used by the models
/// ("lie down", "fall", "walk", "pick up", "run", "sit down", "stand up") plus "idle".
public enum SimulatedActivity: String, Sendable, CaseIterable, Hashable {
    /// Staying still in the current pose (breathing, slight sway).
    case idle
    /// Walking ~1.1-1.5 m/s.
    case walk
    /// Running ~2.5-3.5 m/s.
    case run
    /// Falling to the floor in about half a second, then lying still.
    case fall
    /// Sitting on a bed, then lying down on it.
    case lieDown = "lie down"
    /// Bending to the floor and straightening up.
    case pickUp = "pick up"
    /// Sitting down on a chair.
    case sitDown = "sit down"
    /// Standing up from a chair.
    case standUp = "stand up"

    /// The label written to sidecars and datasets.
    public var label: String { rawValue }

    /// The seven UT-HAR labels in model order.
    public static let utHARLabels = ["lie down", "fall", "walk", "pick up", "run", "sit down", "stand up"]

    /// Parses a name case-insensitively, accepting `lie down`, `lie-down`, `lie_down`, `liedown`.
    public init?(name: String) {
        let key = name.lowercased().filter { $0.isLetter }
        guard let match = Self.allCases.first(where: { $0.rawValue.filter { $0.isLetter } == key }) else { return nil }
        self = match
    }
}

/// One labelled interval of a recording, in seconds from its start.
public struct ActivitySegment: Sendable, Hashable {
    /// The activity.
    public var activity: SimulatedActivity
    /// Start time (s).
    public var start: Double
    /// End time (s).
    public var end: Double

    /// Creates a segment.
    public init(activity: SimulatedActivity, start: Double, end: Double) {
        self.activity = activity
        self.start = start
        self.end = end
    }

    /// Duration (s).
    public var duration: Double { end - start }
}

/// A bad activity script; says which item is at fault.
public struct ActivityScriptError: Error, Sendable, CustomStringConvertible {
    /// The item text.
    public var item: String
    /// Why it is invalid.
    public var reason: String
    /// `item "...": reason`.
    public var description: String { "activity script item \"\(item)\": \(reason)" }
}

/// A sequence of activities with durations: `idle 5s, walk 4s, fall 1s, lie down 3s`.
public struct ActivityScript: Sendable, Hashable {
    /// The segments, back to back from time 0.
    public var segments: [ActivitySegment]

    /// Creates a script from (activity, seconds) pairs.
    public init(_ items: [(SimulatedActivity, Double)]) {
        var t = 0.0
        segments = items.map { activity, seconds in
            defer { t += seconds }
            return ActivitySegment(activity: activity, start: t, end: t + seconds)
        }
    }

    /// Parses `name duration[, name duration ...]`; durations take `s` or `ms` (plain numbers are seconds).
    public init(parsing text: String) throws(ActivityScriptError) {
        var items: [(SimulatedActivity, Double)] = []
        for raw in text.split(whereSeparator: { $0 == "," || $0 == ";" || $0 == "\n" }) {
            let words = raw.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if words.isEmpty { continue }
            let item = words.joined(separator: " ")
            guard words.count >= 2, let durationWord = words.last else {
                throw ActivityScriptError(item: item, reason: "expected `<activity> <duration>`, e.g. `walk 4s`")
            }
            let name = words.dropLast().joined(separator: " ")
            guard let activity = SimulatedActivity(name: name) else {
                throw ActivityScriptError(item: item, reason: "unknown activity \"\(name)\"; known: "
                                          + SimulatedActivity.allCases.map(\.label).joined(separator: ", "))
            }
            var number = durationWord.lowercased()
            var unit = 1.0
            if number.hasSuffix("ms") { number.removeLast(2); unit = 0.001 } else if number.hasSuffix("s") { number.removeLast() }
            guard let value = Double(number), value > 0, value.isFinite, value * unit <= 86400 else {
                throw ActivityScriptError(item: item, reason: "bad duration \"\(durationWord)\" (use e.g. 4s or 500ms)")
            }
            items.append((activity, value * unit))
        }
        guard !items.isEmpty else { throw ActivityScriptError(item: text, reason: "no activities") }
        self.init(items)
    }

    /// Total duration (s).
    public var duration: Double { segments.last?.end ?? 0 }

    /// A random script of `count` segments: each activity lasts a plausible time, with `idle` between motions
    /// and transitions kept physically consistent (sit down before stand up, fall/lie down end on the floor).
    public static func random(count: Int, using random: inout SimulatorRandom,
                              activities: [SimulatedActivity] = SimulatedActivity.allCases) -> ActivityScript {
        var items: [(SimulatedActivity, Double)] = []
        var posture = "standing"
        let pool = activities.filter { $0 != .idle }
        while items.count < count && !pool.isEmpty {
            var candidates: [SimulatedActivity]
            switch posture {
            case "sitting": candidates = pool.filter { $0 == .standUp }
            case "lying": candidates = [.standUp]     // getting up from the floor/bed
            default: candidates = pool.filter { $0 != .standUp }
            }
            if candidates.isEmpty { candidates = pool }
            let activity = candidates[Int(random.unit() * Double(candidates.count)) % candidates.count]
            let seconds: Double
            switch activity {
            case .walk, .run: seconds = random.uniform(3, 6)
            case .fall: seconds = random.uniform(1.2, 2)
            case .lieDown, .sitDown, .standUp, .pickUp: seconds = random.uniform(2.5, 4)
            case .idle: seconds = random.uniform(1, 3)
            }
            items.append((activity, seconds))
            switch activity {
            case .sitDown: posture = "sitting"
            case .fall, .lieDown: posture = "lying"
            case .standUp: posture = "standing"
            default: break
            }
            if activities.contains(.idle) && items.count < count { items.append((.idle, random.uniform(1, 2.5))) }
        }
        return ActivityScript(items)
    }
}
