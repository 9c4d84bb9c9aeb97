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

    /// A random script of at most `count` activities, each of a plausible duration, with `idle` between them
    /// (when `idle` is allowed: usually 1-2.5 s, one time in five 3-15 s, and one time in four none, so that one
    /// activity runs straight into the next, as walking into sitting down does) and consistent postures: `stand up` follows `sit down`; after `fall` or `lie down` the person either stays down (the
    /// script ends) or, half of the time, lies still for 2-5 s and stands up again. Starts and ends with idle.
    public static func random(count: Int, using random: inout SimulatorRandom,
                              activities: [SimulatedActivity] = SimulatedActivity.allCases) -> ActivityScript {
        let useIdle = activities.contains(.idle)
        var items: [(SimulatedActivity, Double)] = []
        func idle() {
            guard useIdle else { return }
            let draw = random.unit()
            if draw < 0.25 && !items.isEmpty && items.last?.0 != .fall { return }       // straight into the next
            items.append((.idle, draw < 0.45 ? random.uniform(3, 15) : random.uniform(1, 2.5)))
        }
        func duration(_ activity: SimulatedActivity) -> Double {
            switch activity {
            case .walk, .run: return random.uniform(3, 6)
            case .fall: return random.uniform(1.2, 2)
            case .lieDown, .sitDown, .standUp, .pickUp: return random.uniform(2.5, 4)
            case .idle: return random.uniform(1, 2.5)
            }
        }
        // weights favour the short activities so that classes get comparable time
        let weights: [SimulatedActivity: Double] = [.walk: 1, .run: 1, .pickUp: 1.3, .sitDown: 1.3, .fall: 1.6, .lieDown: 1.3]
        let standing = activities.filter { weights[$0] != nil }
        idle()
        var done = 0
        while done < count && !standing.isEmpty {
            let total = standing.reduce(0) { $0 + weights[$1]! }
            var pick = random.unit() * total
            var activity = standing[0]
            for candidate in standing {
                pick -= weights[candidate]!
                if pick < 0 { activity = candidate; break }
            }
            items.append((activity, duration(activity)))
            done += 1
            idle()
            if activity == .sitDown && activities.contains(.standUp) {
                items.append((.standUp, duration(.standUp)))
                done += 1
                idle()
            }
            if activity == .fall || activity == .lieDown {
                // the person stays down (the script ends there), or lies still for a while and gets up again
                guard activities.contains(.standUp), random.unit() < 0.5 else { break }
                if useIdle { items.append((.idle, random.uniform(2, 5))) }
                items.append((.standUp, duration(.standUp)))
                done += 1
                idle()
            }
        }
        if items.isEmpty { items.append((.idle, 1)) }
        return ActivityScript(items)
    }
}
