import ArgumentParser

/// `csihar subscribe` (placeholder until its issue lands).
struct SubscribeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "subscribe", abstract: "(not yet available)")

    func run() async throws {
        throw ValidationError("csihar subscribe is not available in this build yet")
    }
}
