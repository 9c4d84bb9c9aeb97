import Testing
@testable import CSIEvents

@Test func moduleLinks() {
    #expect(!String(describing: CSIEventsModule.self).isEmpty)
}
