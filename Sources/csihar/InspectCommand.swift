import ArgumentParser

/// `csihar inspect` (placeholder until its issue lands).
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "(not yet available)")

    func run() async throws {
        throw ValidationError("csihar inspect is not available in this build yet")
    }
}
