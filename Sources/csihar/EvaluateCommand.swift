import ArgumentParser

/// `csihar evaluate` (placeholder until its issue lands).
struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evaluate", abstract: "(not yet available)")

    func run() async throws {
        throw ValidationError("csihar evaluate is not available in this build yet")
    }
}
