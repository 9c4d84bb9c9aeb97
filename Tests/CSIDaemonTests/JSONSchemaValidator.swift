import Foundation

/// Validates JSON values against the subset of JSON Schema (draft 2020-12) that docs/events.schema.json uses:
/// `$ref` (to `#/$defs/...`), `type`, `const`, `enum`, `properties`, `required`, `additionalProperties` (boolean or
/// schema), `oneOf`, `minimum`, `maximum`, `minLength`, `pattern`, `items`; `$schema`, `$id`, `$defs`, `title` and
/// `description` are annotations. Any other keyword makes the schema itself invalid, so the schema cannot rely on
/// a rule this validator would silently skip.
struct JSONSchemaValidator {
    /// A schema that uses something outside the subset, or a bad `$ref`.
    struct SchemaError: Error, CustomStringConvertible {
        let description: String
    }

    /// The whole schema document.
    let root: JSONValue

    static let supportedKeywords: Set<String> = [
        "$schema", "$id", "$defs", "title", "description",
        "$ref", "type", "const", "enum", "properties", "required", "additionalProperties", "oneOf",
        "minimum", "maximum", "minLength", "pattern", "items",
    ]

    /// Loads and checks a schema (every keyword in the subset, every `$ref` resolvable, every pattern compiles).
    init(schema: JSONValue) throws {
        root = schema
        try check(schema, at: "#")
    }

    /// Reads a schema file.
    init(path: String) throws {
        try self.init(schema: try JSONValue(parsing: try String(contentsOfFile: path, encoding: .utf8)))
    }

    /// The problems of `instance` (empty when valid), each prefixed with the JSON path of the offending value.
    func validate(_ instance: JSONValue) -> [String] {
        validate(instance, against: root, path: "$")
    }

    /// Parses one NDJSON line and validates it; a syntax error is reported as a problem.
    func validate(line: String) -> [String] {
        do {
            return validate(try JSONValue(parsing: line))
        } catch {
            return ["\(error)"]
        }
    }

    // MARK: schema checks

    private func check(_ schema: JSONValue, at location: String) throws {
        if case .bool = schema { return }
        guard case .object(let members) = schema else { throw SchemaError(description: "\(location): a schema must be an object or boolean") }
        for (keyword, value) in members {
            guard Self.supportedKeywords.contains(keyword) else {
                throw SchemaError(description: "\(location): keyword \"\(keyword)\" is outside the validator's subset")
            }
            switch keyword {
            case "$defs", "properties":
                guard case .object(let children) = value else { throw SchemaError(description: "\(location)/\(keyword): must be an object") }
                for (name, child) in children { try check(child, at: "\(location)/\(keyword)/\(name)") }
            case "additionalProperties", "items":
                try check(value, at: "\(location)/\(keyword)")
            case "oneOf":
                guard case .array(let branches) = value, !branches.isEmpty else { throw SchemaError(description: "\(location)/oneOf: must be a non-empty array") }
                for (index, branch) in branches.enumerated() { try check(branch, at: "\(location)/oneOf/\(index)") }
            case "$ref":
                guard case .string(let reference) = value else { throw SchemaError(description: "\(location)/$ref: must be a string") }
                _ = try resolve(reference)
            case "pattern":
                guard case .string(let pattern) = value else { throw SchemaError(description: "\(location)/pattern: must be a string") }
                _ = try NSRegularExpression(pattern: pattern)
            case "required":
                guard case .array(let names) = value, names.allSatisfy({ if case .string = $0 { true } else { false } }) else {
                    throw SchemaError(description: "\(location)/required: must be an array of strings")
                }
            default:
                break
            }
        }
    }

    /// `#/$defs/name` (JSON pointer, `~1` and `~0` unescaped) to its schema.
    private func resolve(_ reference: String) throws -> JSONValue {
        guard reference.hasPrefix("#/") else { throw SchemaError(description: "$ref \(reference): only local references are supported") }
        var node = root
        for token in reference.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            guard let next = node[key] else { throw SchemaError(description: "$ref \(reference): \(key) not found") }
            node = next
        }
        return node
    }

    // MARK: validation

    private func validate(_ instance: JSONValue, against schema: JSONValue, path: String) -> [String] {
        if case .bool(let allowed) = schema { return allowed ? [] : ["\(path): no value is allowed here"] }
        guard case .object(let keywords) = schema else { return ["\(path): invalid schema"] }
        var problems: [String] = []
        for (keyword, value) in keywords {
            switch keyword {
            case "$ref":
                guard case .string(let reference) = value, let target = try? resolve(reference) else {
                    problems.append("\(path): unresolvable $ref")
                    continue
                }
                problems += validate(instance, against: target, path: path)
            case "type":
                let allowed: [String]
                switch value {
                case .string(let name): allowed = [name]
                case .array(let names): allowed = names.compactMap { if case .string(let name) = $0 { name } else { nil } }
                default: allowed = []
                }
                if instance.schemaTypes.isDisjoint(with: allowed) {
                    problems.append("\(path): expected \(allowed.joined(separator: " or ")), got \(instance)")
                }
            case "const":
                if instance != value { problems.append("\(path): must be \(value), got \(instance)") }
            case "enum":
                if case .array(let options) = value, !options.contains(instance) {
                    problems.append("\(path): \(instance) is not one of \(value)")
                }
            case "minimum":
                if let number = instance.numberValue, let bound = value.numberValue, number < bound {
                    problems.append("\(path): \(number) is below the minimum \(bound)")
                }
            case "maximum":
                if let number = instance.numberValue, let bound = value.numberValue, number > bound {
                    problems.append("\(path): \(number) is above the maximum \(bound)")
                }
            case "minLength":
                if case .string(let text) = instance, let bound = value.numberValue, Double(text.count) < bound {
                    problems.append("\(path): \"\(text)\" is shorter than \(Int(bound))")
                }
            case "pattern":
                if case .string(let text) = instance, case .string(let pattern) = value,
                   let regex = try? NSRegularExpression(pattern: pattern),
                   regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                    problems.append("\(path): \"\(text)\" does not match \(pattern)")
                }
            case "required":
                if case .object(let members) = instance, case .array(let names) = value {
                    for case .string(let name) in names where !members.contains(where: { $0.0 == name }) {
                        problems.append("\(path): missing required \"\(name)\"")
                    }
                }
            case "properties":
                if case .object(let members) = instance, case .object(let properties) = value {
                    for (name, member) in members {
                        if let property = properties.first(where: { $0.0 == name })?.1 {
                            problems += validate(member, against: property, path: "\(path).\(name)")
                        }
                    }
                }
            case "additionalProperties":
                if case .object(let members) = instance {
                    var declared = Set<String>()
                    if case .object(let properties)? = schema["properties"] { declared = Set(properties.map { $0.0 }) }
                    for (name, member) in members where !declared.contains(name) {
                        if case .bool(false) = value {
                            problems.append("\(path): unexpected key \"\(name)\"")
                        } else {
                            problems += validate(member, against: value, path: "\(path).\(name)")
                        }
                    }
                }
            case "items":
                if case .array(let elements) = instance {
                    for (index, element) in elements.enumerated() {
                        problems += validate(element, against: value, path: "\(path)[\(index)]")
                    }
                }
            case "oneOf":
                guard case .array(let branches) = value else { continue }
                let results = branches.map { validate(instance, against: $0, path: path) }
                let matches = results.filter(\.isEmpty).count
                if matches == 1 { continue }
                if matches > 1 {
                    problems.append("\(path): matches \(matches) branches of oneOf (exactly one allowed)")
                    continue
                }
                // None matched: report the branch meant for this `type` (the discriminator), else the closest one.
                let discriminated = branches.indices.first { index in
                    guard let branch = try? dereferenced(branches[index]), let type = instance["type"] else { return false }
                    return branch["properties"]?["type"]?["const"] == type
                }
                if let discriminated {
                    problems += results[discriminated]
                } else {
                    let known = branches.compactMap { (try? dereferenced($0))?["properties"]?["type"]?["const"]?.description }
                    problems.append("\(path): type \(instance["type"]?.description ?? "(missing)") is none of \(known.joined(separator: ", "))")
                }
            default:
                break  // annotations
            }
        }
        return problems
    }

    /// A schema with a top-level `$ref` replaced by its target.
    private func dereferenced(_ schema: JSONValue) throws -> JSONValue {
        if case .string(let reference)? = schema["$ref"] { return try resolve(reference) }
        return schema
    }
}
