import Foundation
import Testing
@testable import CSIDaemon

/// Relative model paths are looked for in the working directory, the config file's directory, then the installed
/// data directory `<bindir>/../share/csihar` (README "Installing", csihard.toml(5) "Model files").
@Suite struct ModelSearchPathTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

    @Test func documentedOrder() {
        let path = ModelSearchPath.standard(configPath: "/etc/csihard/csihard.toml", executable: "/usr/bin/csihard")
        #expect(path.directories == [".", "/etc/csihard", "/usr/share/csihar"])
        #expect(path.candidates("models/a.safetensors")
                == ["models/a.safetensors", "/etc/csihard/models/a.safetensors", "/usr/share/csihar/models/a.safetensors"])
        #expect(path.candidates("/abs/a.safetensors") == ["/abs/a.safetensors"])
        // A config in the working directory is not searched twice; no config, no executable: the working directory only.
        #expect(ModelSearchPath.standard(configPath: "csihard.toml", executable: "/opt/x/bin/csihard").directories
                == [".", "/opt/x/share/csihar"])
        #expect(ModelSearchPath.standard(configPath: nil, executable: nil).directories == ["."])
        #expect(ModelSearchPath.installedDataDirectory(executable: "/usr/local/bin/csihar") == "/usr/local/share/csihar")
        #expect(path.describe("models/a.safetensors") == "models/a.safetensors (searched ., /etc/csihard, /usr/share/csihar)")
    }

    /// This process's executable is known (the daemon's data directory follows it).
    @Test func currentExecutableIsAbsolute() {
        let executable = ModelSearchPath.currentExecutable()
        #expect(executable?.hasPrefix("/") == true, "\(String(describing: executable))")
    }

    /// An installed layout: the routes' `models/...` are found in `<prefix>/share/csihar`, a copy next to the config
    /// wins over it, and a model found nowhere is skipped with a warning naming the directories searched.
    @Test func routesFindInstalledModels() throws {
        let tree = FileManager.default.temporaryDirectory.appendingPathComponent("search-path-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: tree) }
        let name = "models/search-path-test.safetensors"   // not in the working directory (the repository root)
        #expect(!FileManager.default.fileExists(atPath: name))
        let model = Self.root + "/models/ut-har-gru.safetensors"
        for directory in ["/usr/bin", "/usr/share/csihar/models", "/etc/csihard"] {
            try FileManager.default.createDirectory(atPath: tree + directory, withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(atPath: model, toPath: tree + "/usr/share/csihar/" + name)
        let searchPath = ModelSearchPath.standard(configPath: tree + "/etc/csihard/csihard.toml", executable: tree + "/usr/bin/csihard")

        var settings = DaemonSettings()
        settings.routes = [RouteRule(model: name), RouteRule(chains: 1, model: "models/not-installed.safetensors")]
        var warnings: [String] = []
        var router = try ModelLoader.router(settings: settings, searchPath: searchPath) { warnings.append($0) }
        #expect(router.routes[0].classifier != nil)
        #expect(router.routes[0].file == tree + "/usr/share/csihar/" + name)
        #expect(router.routes[1].classifier == nil)
        #expect(warnings == ["route[2].model: models/not-installed.safetensors (searched ., \(tree)/etc/csihard, \(tree)/usr/share/csihar) "
                             + "is missing; the rule is skipped until the file is installed (then SIGHUP)"])

        // The config's directory comes before the installed data directory.
        try FileManager.default.createDirectory(atPath: tree + "/etc/csihard/models", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: model, toPath: tree + "/etc/csihard/" + name)
        router = try ModelLoader.router(settings: settings, searchPath: searchPath)
        #expect(router.routes[0].file == tree + "/etc/csihard/" + name)

        // model.path goes the same way.
        settings.modelPath = name
        #expect(try ModelLoader.router(settings: settings, searchPath: searchPath).classifiers.count == 1)
    }
}
