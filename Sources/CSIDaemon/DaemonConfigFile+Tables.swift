import CSICapture

/// The arrays of tables of `csihard.toml`: `[[route]]` (per-stream model routing, ``RouteRule``) and `[[group]]`
/// (sources joined as boards, ``StreamGrouping/BoardGroup``). Errors name the table and key as `route[N].key`,
/// N counted from 1 in file order.
extension DaemonConfigFile {
    /// `route[N].<key>` appliers (`model` is required and checked separately).
    static let routeKeys: [String: @Sendable (inout RouteRule, TOMLValue) throws(Rejected) -> Void] = [
        "device": { rule, value throws(Rejected) in
            let names: [String]
            if case .string(let name) = value { names = [name] } else { names = try strings(value) }
            guard !names.isEmpty else { throw Rejected(reason: "must name at least one device") }
            for name in names where !isDeviceName(name) {
                throw Rejected(reason: "'\(name)' is not a device (intel5300, nexmon, nexmon-<chip> e.g. nexmon-4366c0, "
                    + "esp32, atheros, simulated)")
            }
            rule.devices = names.map { $0.lowercased() }
        },
        "chains": { rule, value throws(Rejected) in rule.chains = try integer(value, in: 1...16) },
        "bandwidth_mhz": { rule, value throws(Rejected) in
            let bandwidth = try integer(value, in: 1...320)
            guard [20, 40, 80, 160].contains(bandwidth) else { throw Rejected(reason: "must be 20, 40, 80 or 160, not \(bandwidth)") }
            rule.bandwidthMHz = bandwidth
        },
        "min_rate_hz": { rule, value throws(Rejected) in rule.minimumRateHz = try number(value, above: 0) },
        "model": { rule, value throws(Rejected) in
            let path = try string(value)
            guard !path.isEmpty else { throw Rejected(reason: "must be a model file path") }
            rule.model = path
        },
    ]

    /// `group[N].<key>` names.
    static let groupKeys = ["name", "sources"]

    /// Whether `key` belongs to a `[[route]]` or `[[group]]` table.
    static func isTableArrayKey(_ key: String) -> Bool {
        key.hasPrefix("route[") || key.hasPrefix("group[")
    }

    /// Whether a route's `device` value names a device.
    static func isDeviceName(_ name: String) -> Bool {
        let name = name.lowercased()
        if ["intel5300", "nexmon", "esp32", "atheros", "simulated"].contains(name) { return true }
        return name.hasPrefix("nexmon-") && NexmonChip(name: String(name.dropFirst("nexmon-".count))) != nil
    }

    /// Applies the `[[route]]` and `[[group]]` tables (`entries` are their keys) over `settings`: routes replace
    /// the built-in ones when there is at least one; groups are added to the pipeline's grouping.
    static func applyTableArrays(_ entries: [TOMLEntry], tables: [(name: String, index: Int, line: Int)], path: String,
                                 to settings: inout DaemonSettings) throws(ConfigError) {
        func fail(_ line: Int, _ key: String, _ reason: String) -> ConfigError {
            ConfigError(path: path, line: line, key: key, reason: reason)
        }
        var routes: [RouteRule] = [], groups: [StreamGrouping.BoardGroup] = []
        for table in tables {
            let prefix = "\(table.name)[\(table.index)]"
            let own = entries.filter { $0.key.hasPrefix(prefix + ".") }
            switch table.name {
            case "route":
                var rule = RouteRule(model: "")
                for entry in own {
                    let field = String(entry.key.dropFirst(prefix.count + 1))
                    guard let apply = routeKeys[field] else {
                        throw fail(entry.line, entry.key, nearestKey(to: field, among: Array(routeKeys.keys)).map {
                            "unknown key; did you mean \(prefix).\($0)?"
                        } ?? "unknown key (a [[route]] has \(routeKeys.keys.sorted().joined(separator: ", ")))")
                    }
                    do { try apply(&rule, entry.value) } catch { throw fail(entry.line, entry.key, error.reason) }
                }
                guard !rule.model.isEmpty else { throw fail(table.line, prefix + ".model", "is required (the model file of this rule)") }
                routes.append(rule)
            case "group":
                var name: String?, sources: [String]?
                for entry in own {
                    let field = String(entry.key.dropFirst(prefix.count + 1))
                    do throws(Rejected) {
                        switch field {
                        case "name":
                            let text = try string(entry.value)
                            guard !text.isEmpty, !text.contains("|") else { throw Rejected(reason: "must be a non-empty name without '|'") }
                            guard !groups.contains(where: { $0.name == text }) else { throw Rejected(reason: "'\(text)' is used by another [[group]]") }
                            name = text
                        case "sources":
                            let specs = try strings(entry.value).map { (text: String) throws(Rejected) -> String in
                                do { return try SourceSpec(parsing: text).description } catch { throw Rejected(reason: "\(error)") }
                            }
                            guard specs.count >= 2, Set(specs).count == specs.count else {
                                throw Rejected(reason: "must list at least 2 different sources (one chain each)")
                            }
                            if let taken = specs.first(where: { spec in groups.contains { $0.sources.contains(spec) } }) {
                                throw Rejected(reason: "\(taken) is already in another [[group]]")
                            }
                            sources = specs
                        default:
                            throw Rejected(reason: nearestKey(to: field, among: groupKeys).map { "unknown key; did you mean \(prefix).\($0)?" }
                                ?? "unknown key (a [[group]] has \(groupKeys.joined(separator: ", ")))")
                        }
                    } catch {
                        throw fail(entry.line, entry.key, error.reason)
                    }
                }
                guard let name else { throw fail(table.line, prefix + ".name", "is required") }
                guard let sources else { throw fail(table.line, prefix + ".sources", "is required (the sources joined, one chain each)") }
                groups.append(StreamGrouping.BoardGroup(name: name, sources: sources))
            default:
                throw fail(table.line, prefix, "unknown array of tables (known: [[route]], [[group]])")
            }
        }
        if let stray = entries.first(where: { entry in !tables.contains { entry.key.hasPrefix("\($0.name)[\($0.index)].") } }) {
            throw fail(stray.line, stray.key, "unknown key")
        }
        if !routes.isEmpty { settings.routes = routes }
        if !groups.isEmpty { settings.pipeline.grouping.boards = groups }
    }
}
