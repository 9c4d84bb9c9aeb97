import ArgumentParser

/// `csihar bench` (placeholder until its issue lands).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "(not yet available)")

    func run() async throws {
        throw ValidationError("csihar bench is not available in this build yet")
    }
}
