import Testing
@testable import CSIDaemon

@Test func moduleLinks() {
    #expect(!String(describing: CSIDaemonModule.self).isEmpty)
}
