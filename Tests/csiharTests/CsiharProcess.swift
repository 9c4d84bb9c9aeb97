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
    nonisolated(unsafe) var errData = Data()
    let reader = Thread { errData = err.fileHandleForReading.readDataToEndOfFile() }
    reader.start()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    while !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}
