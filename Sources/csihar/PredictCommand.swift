import ArgumentParser

/// `csihar predict` (placeholder until its issue lands).
struct PredictCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "predict", abstract: "(not yet available)")

    func run() async throws {
        throw ValidationError("csihar predict is not available in this build yet")
    }
}
