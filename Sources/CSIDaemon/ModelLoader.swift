import Foundation

/// Loads model files into ``WindowClassifier``s (the engine, through ``ModelClassifier``). A bad file throws a
/// ``ClassifierError`` naming the file and field, so startup stops and a reload keeps the old model.
public enum ModelLoader {
    /// Loads `path` for batches of up to `maxBatch` windows.
    public static func load(path: String, maxBatch: Int = 64) throws -> any WindowClassifier {
        try ModelClassifier(path: path, maxBatch: maxBatch)
    }

    /// Loads every model the settings route to (``DaemonSettings/modelPath`` alone when set, else
    /// ``DaemonSettings/routes``), each file once. Relative model paths are looked for along `searchPath`
    /// (``ModelSearchPath``: the working directory, the config file's directory, `<bindir>/../share/csihar`).
    ///
    /// * `model.path` / `--model`: must load (a bad or missing file throws, naming it).
    /// * A `[[route]]` model whose file is missing: the rule is skipped and `warn` says so (the daemon works before
    ///   and after optional model files are installed).
    /// * A `[[route]]` model that exists but cannot be used throws `route[N].model: file: field: reason`; with the
    ///   built-in routes and `strictDefault` false it is only reported through `warn` and skipped (startup goes on;
    ///   a reload, `strictDefault` true, fails and keeps the running models).
    public static func router(settings: DaemonSettings, searchPath: ModelSearchPath = .standard(configPath: nil),
                              strictDefault: Bool = false, warn: (String) -> Void = { _ in }) throws -> ModelRouter {
        let maxBatch = settings.pipeline.maxBatch
        if let path = settings.modelPath {
            // Not found anywhere: the loader's own error names the path as written.
            return ModelRouter.single(try load(path: searchPath.resolveOrKeep(path), maxBatch: maxBatch))
        }
        let builtIn = settings.routes == DaemonSettings.defaultRoutes
        var loaded: [String: any WindowClassifier] = [:]
        var routes: [ModelRouter.Route] = []
        for (index, rule) in settings.routes.enumerated() {
            let label = "route[\(index + 1)]"
            guard let file = searchPath.resolve(rule.model) else {
                warn("\(label).model: \(searchPath.describe(rule.model)) is missing; the rule is skipped until the file is "
                     + "installed (then SIGHUP)")
                routes.append(.init(label: label, rule: rule, classifier: nil, skipped: "file missing"))
                continue
            }
            if let classifier = loaded[file] {
                routes.append(.init(label: label, rule: rule, classifier: classifier, file: file))
                continue
            }
            do {
                let classifier = try load(path: file, maxBatch: maxBatch)
                loaded[file] = classifier
                routes.append(.init(label: label, rule: rule, classifier: classifier, file: file))
            } catch {
                guard builtIn && !strictDefault else { throw ClassifierError("\(label).model: \(error)") }
                warn("\(label).model: unusable, skipped: \(error)")
                routes.append(.init(label: label, rule: rule, classifier: nil, skipped: "unusable"))
            }
        }
        return ModelRouter(routes: routes)
    }
}
