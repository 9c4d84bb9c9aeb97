import Testing
@testable import CSIFeatures

@Test func moduleLinks() {
    #expect(!String(describing: CSIFeaturesModule.self).isEmpty)
}
