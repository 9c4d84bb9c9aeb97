import Foundation

/// Locates the repository root and the shared real-capture folder (`../shared/data`) from a test file.
public enum SharedData {
    /// The repository root: the nearest ancestor of `file` that holds `Package.swift`.
    public static func repositoryRoot(file: String = #filePath) -> URL {
        var url = URL(fileURLWithPath: file).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
            url.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }

    /// `../shared/data` next to the repository (override with `CSIHAR_SHARED_DATA`), or `nil` when missing.
    public static func directory(file: String = #filePath) -> URL? {
        if let override = ProcessInfo.processInfo.environment["CSIHAR_SHARED_DATA"] {
            let url = URL(fileURLWithPath: override)
            return FileManager.default.fileExists(atPath: url.path) ? url : nil
        }
        let url = repositoryRoot(file: file).deletingLastPathComponent().appendingPathComponent("shared/data")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// The URL of `relativePath` inside the shared data folder, or `nil` (and a printed skip message) when absent.
    public static func file(_ relativePath: String, file: String = #filePath) -> URL? {
        guard let dir = directory(file: file) else {
            print("SKIP: ../shared/data is missing; tests that need real captures are skipped (\(relativePath))")
            return nil
        }
        let url = dir.appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else {
            print("SKIP: \(url.path) is missing")
            return nil
        }
        return url
    }
}
