import Testing
@testable import CSIInference

/// The optional initial state: running steps [0, T) at once equals running [0, k) and then [k, T) starting from
/// the first part's final state (unidirectional stacks, every cell kind, 2 layers, batch 3).
struct RecurrentStateTests {
    @Test(arguments: ["rnn", "gru", "lstm"]) func splitRunEqualsWholeRun(architecture: String) throws {
        let steps = 10, split = 4, batch = 3, features = 5
        let json = TestModels.configJSON(architecture: architecture, hidden: 6, layers: 2, steps: steps,
                                         features: features)
        let model = try CSIModel(file: TestModels.file(configJSON: json), source: "t")
        let stack = model.recurrent
        let windows = TestModels.windows(count: batch * steps * features)
        let whole = RecurrentWorkspace(stack: stack, maxBatch: batch, steps: steps)
        let first = RecurrentWorkspace(stack: stack, maxBatch: batch, steps: split)
        let second = RecurrentWorkspace(stack: stack, maxBatch: batch, steps: steps - split)
        // (batch, steps, features) -> the two parts, each (batch, part, features)
        var head: [Float] = [], tail: [Float] = []
        for row in 0..<batch {
            head += windows[(row * steps * features)..<((row * steps + split) * features)]
            tail += windows[((row * steps + split) * features)..<((row + 1) * steps * features)]
        }
        _ = windows.withUnsafeBufferPointer { stack.run($0.baseAddress!, batch: batch, steps: steps, workspace: whole) }
        _ = head.withUnsafeBufferPointer { stack.run($0.baseAddress!, batch: batch, steps: split, workspace: first) }
        let stateCount = 2 * batch * 6
        let h0 = Array(UnsafeBufferPointer(start: first.finalHidden.pointer, count: stateCount))
        let c0 = Array(UnsafeBufferPointer(start: first.finalCell.pointer, count: stateCount))
        _ = tail.withUnsafeBufferPointer { input in
            h0.withUnsafeBufferPointer { h in
                c0.withUnsafeBufferPointer { c in
                    stack.run(input.baseAddress!, batch: batch, steps: steps - split, workspace: second,
                              initialHidden: h.baseAddress, initialCell: c.baseAddress)
                }
            }
        }
        let expected = Array(UnsafeBufferPointer(start: whole.finalHidden.pointer, count: stateCount))
        let actual = Array(UnsafeBufferPointer(start: second.finalHidden.pointer, count: stateCount))
        let maxdiff = zip(expected, actual).map { abs($0 - $1) }.max() ?? .infinity
        print("\(architecture): split at \(split) of \(steps), maxdiff \(maxdiff)")
        #expect(maxdiff <= 1e-6)
        #expect(expected.contains { $0 != 0 })
    }
}
