import Testing

@testable import csihar

/// `csihar status` prints each stream's model and the rule that chose it.
@Suite struct StatusRenderTests {
    @Test func streamLinesNameTheirModel() {
        let text = StatusCommand.render([
            "model": "a (gru, a.safetensors), b (gru, b.safetensors)",
            "streams": [
                ["stream": "replay:x|unknown", "model": "b (gru, b.safetensors)", "route": "route[2]"],
                ["stream": "replay:y|unknown", "route": "no-model"],
            ],
        ])
        #expect(text.contains("model b (gru, b.safetensors) (route[2])"), "\(text)")
        #expect(text.contains("model none (no-model)"), "\(text)")
    }
}
