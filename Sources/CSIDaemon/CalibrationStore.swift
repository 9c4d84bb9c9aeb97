import CSICapture
import CSIInference
import Foundation

/// Where the daemon keeps per-stream calibration files: `<state directory>/calibration/<escaped key>.json`.
/// Files are written atomically (temporary file, then rename) with mode 0600; the folders are made when the first
/// file is written. Used on the pipeline thread only.
public struct CalibrationStore: Sendable {
    /// The daemon's state directory.
    public let stateDirectory: String
    /// `<state directory>/calibration`.
    public var directory: String { stateDirectory + "/calibration" }

    /// A store under `stateDirectory`.
    public init(stateDirectory: String) { self.stateDirectory = stateDirectory }

    /// The state directory csihard uses: `$STATE_DIRECTORY` (set by systemd from `StateDirectory=`; the first of a
    /// colon-separated list), else `configured` (`state.directory` / `--state-dir`), else `/var/lib/csihard` for
    /// root and `./.csihard-state` for anybody else.
    public static func resolveStateDirectory(configured: String?, environment: [String: String],
                                             isRoot: Bool = geteuid() == 0) -> String {
        if let systemd = environment["STATE_DIRECTORY"]?.split(separator: ":").first, !systemd.isEmpty {
            return String(systemd)
        }
        if let configured, !configured.isEmpty { return configured }
        return isRoot ? "/var/lib/csihard" : "./.csihard-state"
    }

    /// A file name for a stream key: `[A-Za-z0-9._-]` kept, every other byte `%XX` (a leading `.` too, so no
    /// name is hidden or `..`); keys whose escaped form is longer than 200 bytes are cut and end in `~` plus the
    /// first 16 hex digits of the key's SHA-256. Always followed by `.json`.
    public static func fileName(for key: String) -> String {
        var name = ""
        for byte in key.utf8 {
            let character = Character(Unicode.Scalar(byte))
            let plain = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x5F || byte == 0x2D || (byte == 0x2E && !name.isEmpty)
            name += plain ? String(character) : String(format: "%%%02X", byte)
        }
        if name.utf8.count > 200 {
            name = String(name.utf8.prefix(180))! + "~" + SHA256Digest.hex(Array(key.utf8)).prefix(16)
        }
        return name + ".json"
    }

    /// The file of `key`.
    public func path(for key: String) -> String { directory + "/" + Self.fileName(for: key) }

    /// The file's bytes, or nil when the stream has no file.
    func read(key: String) throws(HeadCalibrationError) -> Data? {
        let path = path(for: key)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw HeadCalibrationError(path: path, field: "file", reason: "cannot be read (permissions?)")
        }
        return data
    }

    /// Writes `calibration` (atomically); an empty one deletes the file. Throws naming the file.
    func save(_ calibration: StreamCalibration) throws(HeadCalibrationError) {
        let path = path(for: calibration.stream)
        if calibration.isEmpty { try delete(key: calibration.stream); return }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw HeadCalibrationError(path: directory, field: "file", reason: "cannot create the directory (\(FileErrorReason.describe(error)))")
        }
        try HeadCalibration.writeJSON(calibration.jsonObject, to: path, permissions: 0o600)
    }

    /// Deletes the stream's file (nothing when there is none).
    func delete(key: String) throws(HeadCalibrationError) {
        let path = path(for: key)
        if unlink(path) != 0 && errno != ENOENT {
            throw HeadCalibrationError(path: path, field: "file", reason: "cannot delete: \(String(cString: strerror(errno)))")
        }
    }
}
