import Foundation

/// Where a relative model file path (a `[[route]]` `model`, `model.path`, `--model`) is looked for; the first
/// directory that holds it wins:
///
/// 1. the working directory (the path as written: the repository root while developing, `WorkingDirectory=` under
///    systemd);
/// 2. the directory of the config file (`--config`), when there is one;
/// 3. the installed data directory `<directory of the executable>/../share/csihar` (`make install` puts the models
///    in `$(PREFIX)/share/csihar/models`, so `models/x.safetensors` is `$(PREFIX)/share/csihar/models/x.safetensors`
///    for `$(PREFIX)/bin/csihard`).
///
/// An absolute path is used as it is. A path found nowhere keeps its written form; messages then name the
/// directories searched (``describe(_:)``).
public struct ModelSearchPath: Sendable, Equatable {
    /// The directories, in order; `"."` is the working directory (the path is then used as written).
    public var directories: [String]

    /// A search path over `directories` (duplicates dropped).
    public init(directories: [String]) {
        var unique: [String] = []
        for directory in directories where !directory.isEmpty {
            let normalised = directory == "." ? "." : (directory as NSString).standardizingPath
            if !unique.contains(normalised) { unique.append(normalised) }
        }
        self.directories = unique
    }

    /// The documented order: the working directory, the config file's directory (when `configPath` is given), the
    /// installed data directory next to `executable` (default: this process's executable).
    public static func standard(configPath: String?, executable: String? = currentExecutable()) -> ModelSearchPath {
        var directories = ["."]
        if let configPath {
            let directory = (configPath as NSString).deletingLastPathComponent
            directories.append(directory.isEmpty ? "." : directory)
        }
        if let executable, let data = installedDataDirectory(executable: executable) { directories.append(data) }
        return ModelSearchPath(directories: directories)
    }

    /// `<bindir>/../share/csihar` for an executable in `<bindir>` (`/usr/bin/csihard` -> `/usr/share/csihar`).
    public static func installedDataDirectory(executable: String) -> String? {
        let binDirectory = (executable as NSString).deletingLastPathComponent
        guard binDirectory.hasPrefix("/") else { return nil }
        let prefix = (binDirectory as NSString).deletingLastPathComponent
        return ((prefix as NSString).appendingPathComponent("share/csihar") as NSString).standardizingPath
    }

    /// This process's executable, symbolic links resolved (`/proc/self/exe` on Linux).
    public static func currentExecutable() -> String? {
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), target.hasPrefix("/") {
            return target
        }
        guard let first = CommandLine.arguments.first, first.contains("/") else { return nil }
        let absolute = first.hasPrefix("/") ? first : FileManager.default.currentDirectoryPath + "/" + first
        return (absolute as NSString).resolvingSymlinksInPath
    }

    /// Where `path` is looked for, in order (an absolute path: itself only).
    public func candidates(_ path: String) -> [String] {
        guard !path.hasPrefix("/") else { return [path] }
        return directories.map { $0 == "." ? path : ($0 as NSString).appendingPathComponent(path) }
    }

    /// The first candidate that exists (as written when found in the working directory), or nil.
    public func resolve(_ path: String) -> String? {
        candidates(path).first { FileManager.default.fileExists(atPath: $0) }
    }

    /// `resolve(path)`, else `path` as written (its loader then reports it missing).
    public func resolveOrKeep(_ path: String) -> String { resolve(path) ?? path }

    /// `path`, or for a relative path `path (searched ., /etc/csihard, /usr/share/csihar)`, for messages about a
    /// missing file.
    public func describe(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        return "\(path) (searched \(directories.joined(separator: ", ")))"
    }
}
