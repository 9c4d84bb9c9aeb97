extension CSIModel {
    /// Floating-point operations (multiply and add counted separately) of one window's forward pass.
    public var flopsPerWindow: Double {
        let steps = Double(config.steps)
        var flops = 0.0
        func stackFlops(_ stack: RecurrentStack) -> Double {
            var total = 0.0
            for layer in stack.layers {
                for weights in layer {
                    let width = Double(weights.gateWidth)
                    total += 2 * steps * width * Double(weights.inputSize + weights.hiddenSize)
                }
            }
            return total
        }
        flops += stackFlops(recurrent)
        if let encoderRecurrent { flops += stackFlops(encoderRecurrent) }
        if let encoder {
            for (layer, kernel) in ConvEncoder.kernels.enumerated() {
                let channels = Double(encoder.channels)
                flops += 2 * channels * channels * Double(kernel.size) * Double(encoder.lengths[layer])
            }
        }
        if let attention {
            let size = Double(attention.projection.inputs)
            let width = Double(attention.projection.outputs)
            flops += 2 * steps * width * size + 2 * steps * width + 2 * steps * size
        }
        flops += 2 * Double(classifier.inputs * classifier.outputs)
        return flops
    }
}
