import ArgumentParser

/// `csihar simulate` (placeholder until its issue lands).
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "simulate", abstract: "(not yet available)")

    func run() async throws {
        throw ValidationError("csihar simulate is not available in this build yet")
    }
}
