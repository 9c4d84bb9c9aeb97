/// `nn.Linear(inputs, outputs)`: `y = x Wᵀ + b`.
struct LinearLayer: Sendable {
    let inputs: Int
    let outputs: Int
    let weight: [Float]    // (outputs, inputs)
    let bias: [Float]      // (outputs), empty for bias=False

    /// `output (rows, outputs) = input (rows, inputs) · Wᵀ + b`; `input` has row stride `inputStride`.
    func forward(_ input: UnsafePointer<Float>, rows: Int, inputStride: Int, into output: UnsafeMutablePointer<Float>) {
        if bias.isEmpty {
            output.update(repeating: 0, count: rows * outputs)
        } else {
            bias.withUnsafeBufferPointer {
                LinearAlgebra.broadcastRows($0.baseAddress!, count: outputs, rows: rows, into: output, stride: outputs)
            }
        }
        weight.withUnsafeBufferPointer {
            LinearAlgebra.multiplyTransposed(input, rows: rows, inputs: inputs, inputStride: inputStride,
                                             weight: $0.baseAddress!, outputs: outputs,
                                             into: output, outputStride: outputs, accumulate: true)
        }
    }
}
