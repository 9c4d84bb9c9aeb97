import Foundation
import Testing
@testable import CSICapture

/// Foundation's file errors reduced to the operating system's reason, for one-line messages naming the path.
struct FileErrorReasonTests {
    @Test func foundationFileErrorsGiveThePOSIXReason() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("csihar-reason-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("plain.txt")
        try Data("x".utf8).write(to: file)

        var reasons: [String] = []
        do { _ = try Data(contentsOf: directory.appendingPathComponent("missing.npy")) } catch {
            reasons.append(FileErrorReason.describe(error))
        }
        do { _ = try FileManager.default.contentsOfDirectory(atPath: file.path) } catch {
            reasons.append(FileErrorReason.describe(error))
        }
        do { try FileManager.default.createDirectory(atPath: file.path, withIntermediateDirectories: true) } catch {
            reasons.append(FileErrorReason.describe(error))
        }
        do { try Data("x".utf8).write(to: directory.appendingPathComponent("no/such/dir/out.npy")) } catch {
            reasons.append(FileErrorReason.describe(error))
        }
        print("reasons: \(reasons)")
        #expect(reasons == ["No such file or directory", "Not a directory", "File exists", "No such file or directory"])
        #expect(FileErrorReason.describe(POSIXError(.EACCES)) == "Permission denied")
    }
}
