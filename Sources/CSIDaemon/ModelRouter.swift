import Foundation

/// Chooses a model per stream: the first ``RouteRule`` whose match keys fit the stream's ``StreamProfile`` and whose
/// model's ``ModelRequirements`` the stream meets. Rules whose model file is missing are skipped (the loader warns
/// at startup); a model used by several rules is loaded once, so those streams share its batches.
///
/// A decision that depends on the stream's rate waits until the rate is measured (``Decision/wait``).
public final class ModelRouter {
    /// One rule and what became of its model.
    public struct Route {
        /// `route[N]` (1-based, as in the configuration), or `model.path` for a single configured model.
        public let label: String
        /// The rule.
        public let rule: RouteRule
        /// The loaded model (`nil`: skipped).
        public let classifier: (any WindowClassifier)?
        /// Why it was skipped (missing file, unusable default model).
        public let skipped: String?
        /// The model file loaded: `rule.model` found along the ``ModelSearchPath`` (`rule.model` itself when it was
        /// found in the working directory, or not at all).
        public let file: String

        /// Creates a route.
        public init(label: String, rule: RouteRule, classifier: (any WindowClassifier)?, skipped: String? = nil,
                    file: String? = nil) {
            self.label = label
            self.rule = rule
            self.classifier = classifier
            self.skipped = skipped
            self.file = file ?? rule.model
        }

        /// `route[2] (ut-har-gru (gru, models/ut-har-gru.safetensors))`.
        var name: String { "\(label) (\(classifier?.name ?? rule.model))" }
    }

    /// What the router says about a stream.
    public enum Decision {
        /// Feed this model (the route's label says which rule chose it).
        case model(any WindowClassifier, label: String)
        /// Ask again once the stream's rate is measured.
        case wait
        /// No rule's model fits; the message names what the stream has and what each model needs.
        case noModel(String)
        /// A model fits but for the stream's rate, and no later rule fits; the message names both rates.
        case rateTooLow(String)
    }

    /// The rules, in order.
    public let routes: [Route]

    /// Creates a router over `routes`.
    public init(routes: [Route]) { self.routes = routes }

    /// The same rules with every model replaced by its ``WindowClassifier/replica()`` (a model shared by several
    /// rules stays shared), for another pipeline worker.
    public func replica() throws -> ModelRouter {
        var copies: [ObjectIdentifier: any WindowClassifier] = [:]
        return ModelRouter(routes: try routes.map { route in
            guard let classifier = route.classifier else { return route }
            let id = ObjectIdentifier(classifier)
            let copy = try copies[id] ?? classifier.replica()
            copies[id] = copy
            return Route(label: route.label, rule: route.rule, classifier: copy, skipped: route.skipped, file: route.file)
        })
    }

    /// A router that gives `classifier` to every stream it fits (`nil`: no model).
    public static func single(_ classifier: (any WindowClassifier)?, label: String = "model.path") -> ModelRouter {
        guard let classifier else { return ModelRouter(routes: []) }
        return ModelRouter(routes: [Route(label: label, rule: RouteRule(model: classifier.name), classifier: classifier)])
    }

    /// The distinct loaded models, in rule order.
    public var classifiers: [any WindowClassifier] {
        var seen: [ObjectIdentifier] = []
        return routes.compactMap(\.classifier).filter { classifier in
            let id = ObjectIdentifier(classifier)
            if seen.contains(id) { return false }
            seen.append(id)
            return true
        }
    }

    /// True when no model is loaded (streams then only count frames and windows).
    public var isEmpty: Bool { routes.allSatisfy { $0.classifier == nil } }

    /// The model for `profile`.
    public func decide(_ profile: StreamProfile) -> Decision {
        var reasons: [String] = []
        var slowest: (route: Route, requirements: ModelRequirements)?
        for route in routes {
            guard let classifier = route.classifier else {
                reasons.append("\(route.label) \(route.rule.model): skipped (\(route.skipped ?? "not loaded"))")
                continue
            }
            switch route.rule.match(profile) {
            case .differs(let why): reasons.append("\(route.label): \(why)"); continue
            case .rateUnknown: return .wait
            case .matches: break
            }
            let requirements = classifier.requirements
            switch requirements.fit(profile) {
            case .fits: return .model(classifier, label: route.label)
            case .rateUnknown: return .wait
            case .rateTooLow:
                if slowest == nil { slowest = (route, requirements) } else { reasons.append("\(route.name) needs \(requirements)") }
            case .chains:
                reasons.append("\(route.name) needs \(requirements)")
            }
        }
        let others = reasons.isEmpty ? "no routes" : reasons.joined(separator: "; ")
        if let slowest {
            return .rateTooLow("this \(profile) is slower than \(slowest.route.name) needs (\(slowest.requirements)); "
                + "no other model fits: \(others)")
        }
        return .noModel("no model fits this \(profile): \(others)")
    }

    /// `route[1] csihar-doppler-gru (...): csi-ratio-doppler (doppler-32): >= 2 chains, >= 200 Hz` per rule, for logs.
    public var summary: [String] {
        routes.map { route in
            guard let classifier = route.classifier else { return "\(route.label) \(route.rule.model): skipped (\(route.skipped ?? "?"))" }
            return "\(route.label) [\(route.rule)]: \(classifier.name) needs \(classifier.requirements)"
        }
    }
}
