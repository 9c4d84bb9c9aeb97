import Foundation
import Testing

@testable import CSIDaemon

/// The subscriber socket's filesystem side: staging name and publication without replacing anything.
@Suite struct SocketPathTests {
    func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("csihar-sp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func stagingNameIsInTheSameDirectoryAndFitsSockaddr() throws {
        let staging = try #require(SocketPath.stagingPath(for: "/run/csihard/events.sock"))
        #expect(staging.hasPrefix("/run/csihard/."))
        // Two servers binding at once in one process (in-process tests) must not share, and unlink, one name.
        #expect(SocketPath.stagingPath(for: "/run/csihard/events.sock") != staging)
        let long = "/tmp/" + String(repeating: "d", count: 100) + "/x.sock"
        #expect(SocketPath.stagingPath(for: long) == nil)
    }

    @Test func publishLinksIntoPlaceAndNeverReplaces() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let staging = dir + "/staging", target = dir + "/events.sock"
        #expect(FileManager.default.createFile(atPath: staging, contents: Data("a".utf8)))
        try SocketPath.publish(staging, at: target)
        #expect(!FileManager.default.fileExists(atPath: staging))
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "a")

        #expect(FileManager.default.createFile(atPath: staging, contents: Data("b".utf8)))
        #expect { try SocketPath.publish(staging, at: target) } throws: { "\($0)".contains("not replacing") }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "a")
        #expect(!FileManager.default.fileExists(atPath: staging))
    }
}
