import Testing
@testable import CSIInference

/// The batch path projects its input a few steps at a time (``RecurrentStack/projectionChunk(batch:width:steps:)``);
/// a window's logits must not depend on that: 64 windows in one call (chunks of 4 steps, the last one shorter,
/// walked forwards and backwards) equal the same windows one at a time (one chunk).
struct ProjectionChunkTests {
    @Test(arguments: ["gru", "lstm", "ablstm"]) func chunkedBatchEqualsOneWindowAtATime(architecture: String) throws {
        let steps = 10, batch = 64, features = 6, hidden = 128, classes = 3
        let json = TestModels.configJSON(architecture: architecture, hidden: hidden, layers: architecture == "ablstm" ? 1 : 2,
                                         bidirectional: true, attention: architecture == "ablstm" ? 16 : nil,
                                         classes: classes, steps: steps, features: features)
        let model = try CSIModel(file: TestModels.file(configJSON: json), source: "t")
        let width = model.recurrent.cell.gates * hidden
        let chunk = RecurrentStack.projectionChunk(batch: batch, width: width, steps: steps)
        #expect(chunk < steps && steps % chunk != 0, "the test must cover several chunks and a short last one")
        #expect(RecurrentStack.projectionChunk(batch: 1, width: width, steps: steps) == steps)
        let windows = TestModels.windows(count: batch * steps * features, seed: 11)
        let together = TestModels.logits(model, windows: windows, batch: batch, maxBatch: batch)
        let alone = TestModels.logits(model, windows: windows, batch: batch, maxBatch: 1)
        let maxdiff = zip(together, alone).map { abs($0 - $1) }.max() ?? .infinity
        print("\(architecture) (bidirectional, hidden \(hidden)): chunks of \(chunk) of \(steps) steps, batch \(batch) "
              + "vs one at a time, maxdiff \(maxdiff)")
        #expect(maxdiff <= 1e-5)
        #expect(Set(together).count > classes)
    }
}
