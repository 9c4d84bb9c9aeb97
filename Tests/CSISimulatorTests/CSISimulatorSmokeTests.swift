import Testing
@testable import CSISimulator

@Test func moduleLinks() {
    #expect(!String(describing: CSISimulatorModule.self).isEmpty)
}
