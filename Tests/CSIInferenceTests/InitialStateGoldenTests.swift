import Foundation
import Testing
@testable import CSIInference

/// Bare RNN/GRU/LSTM stacks run from a non-zero initial state (h0, c0) against PyTorch: the output sequence and
/// the final states (fixtures `layer-<cell>-initial-state.safetensors`).
struct InitialStateGoldenTests {
    static let tolerance: Float = 1e-4

    @Test(arguments: ["layer-rnn-relu-initial-state", "layer-gru-initial-state", "layer-lstm-initial-state"])
    func stackMatchesPyTorch(name: String) throws {
        let path = GoldenLogitsTests.fixtureDirectory.appendingPathComponent("\(name).safetensors").path
        let file = try SafetensorsFile.read(path: path)
        let meta = file.metadata
        let prefix = try #require(meta["cell"])
        let cell: RecurrentCell = switch prefix {
        case "gru": .gru
        case "lstm": .lstm
        default: meta["nonlinearity"] == "relu" ? .rnnRelu : .rnnTanh
        }
        let layers = try #require(Int(meta["num_layers"] ?? ""))
        let hidden = try #require(Int(meta["hidden_size"] ?? ""))
        let directions = meta["bidirectional"] == "true" ? 2 : 1
        let input = try #require(file.tensors["input"])
        let (batch, steps, features) = (input.shape[0], input.shape[1], input.shape[2])
        let stack = RecurrentStack(cell: cell, prefix: prefix, inputSize: features, hiddenSize: hidden,
                                   numLayers: layers, directions: directions, tensors: file.tensors)
        let workspace = RecurrentWorkspace(stack: stack, maxBatch: batch, steps: steps)
        let h0 = try #require(file.tensors["h0"]).values
        let c0 = file.tensors["c0"]?.values
        let output = input.values.withUnsafeBufferPointer { x in
            h0.withUnsafeBufferPointer { h in
                (c0 ?? []).withUnsafeBufferPointer { c in
                    stack.run(x.baseAddress!, batch: batch, steps: steps, workspace: workspace,
                              initialHidden: h.baseAddress, initialCell: c0 == nil ? nil : c.baseAddress)
                }
            }
        }
        func maxdiff(_ pointer: UnsafeMutablePointer<Float>, _ expected: [Float]) -> Float {
            zip(UnsafeBufferPointer(start: pointer, count: expected.count), expected).map { abs($0 - $1) }.max() ?? .infinity
        }
        let states = layers * directions * batch * hidden
        // the stack's output is time-major (steps, batch, D); PyTorch's is (batch, steps, D)
        let expectedOutput = try #require(file.tensors["output"]).values
        let width = expectedOutput.count / (batch * steps)
        var outputDiff: Float = 0
        for row in 0..<batch {
            for time in 0..<steps {
                for column in 0..<width {
                    outputDiff = max(outputDiff, abs(output[(time * batch + row) * width + column]
                                                     - expectedOutput[(row * steps + time) * width + column]))
                }
            }
        }
        let hiddenDiff = maxdiff(workspace.finalHidden.pointer, try #require(file.tensors["h_n"]).values)
        #expect(try #require(file.tensors["h_n"]).values.count == states)
        var cellDiff: Float = 0
        if let cN = file.tensors["c_n"] { cellDiff = maxdiff(workspace.finalCell.pointer, cN.values) }
        print("\(name): output maxdiff \(outputDiff), h_n maxdiff \(hiddenDiff), c_n maxdiff \(cellDiff)")
        #expect(outputDiff <= Self.tolerance && hiddenDiff <= Self.tolerance && cellDiff <= Self.tolerance)
    }
}
