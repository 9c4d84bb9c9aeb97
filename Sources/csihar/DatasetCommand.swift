import ArgumentParser

/// `csihar dataset` (placeholder until its issue lands).
struct DatasetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dataset", abstract: "(not yet available)")

    func run() async throws {
        throw ValidationError("csihar dataset is not available in this build yet")
    }
}
