import ArgumentParser

/// `csihar models` (placeholder until its issue lands).
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models", abstract: "(not yet available)")

    func run() async throws {
        throw ValidationError("csihar models is not available in this build yet")
    }
}
