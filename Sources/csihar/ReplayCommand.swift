import ArgumentParser

/// `csihar replay` (placeholder until its issue lands).
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "replay", abstract: "(not yet available)")

    func run() async throws {
        throw ValidationError("csihar replay is not available in this build yet")
    }
}
