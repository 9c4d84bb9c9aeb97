import Testing
@testable import CSIInference

@Test func moduleLinks() {
    #expect(!String(describing: CSIInferenceModule.self).isEmpty)
}
