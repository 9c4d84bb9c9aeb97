import Foundation
import CSITestSupport

/// Runs the built `csihar` (debug, else release) in the repository root and returns its exit status and output;
/// nil, with a printed skip message, when no build is there. One helper for every process-level csihar test.
/// `environment`: the child's whole environment (nil: this process's).
func runCsihar(_ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, stdout: String, stderr: String)? {
    let root = SharedData.repositoryRoot()
    guard let binary = ["debug", "release"].map({ root.appendingPathComponent(".build/\($0)/csihar") })
        .first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
        print("SKIP: .build/debug/csihar is not built; run `swift build --build-tests` first")
        return nil
    }
    let process = Process()
    process.executableURL = binary
    process.arguments = arguments
    process.currentDirectoryURL = root
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let errReader = BackgroundRead(err.fileHandleForReading)
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errReader.data(), as: UTF8.self))
}

/// Reads a pipe to its end on a thread of its own (so a child filling both stdout and stderr cannot block);
/// ``data()`` waits for it. The hand-over goes through a lock, which ThreadSanitizer sees.
final class BackgroundRead: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Data?
    private let done = DispatchSemaphore(value: 0)

    /// Starts reading `handle`.
    init(_ handle: FileHandle) {
        Thread { [self] in
            let data = handle.readDataToEndOfFile()
            lock.lock()
            result = data
            lock.unlock()
            done.signal()
        }.start()
    }

    /// Everything read, once the pipe has ended.
    func data() -> Data {
        done.wait()
        done.signal()
        lock.lock()
        defer { lock.unlock() }
        return result ?? Data()
    }
}
