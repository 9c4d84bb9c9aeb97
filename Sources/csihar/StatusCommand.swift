import ArgumentParser

/// `csihar status` (placeholder until its issue lands).
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "(not yet available)")

    func run() async throws {
        throw ValidationError("csihar status is not available in this build yet")
    }
}
