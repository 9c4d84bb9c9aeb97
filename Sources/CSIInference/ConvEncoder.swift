/// SenseFi's CNN encoder: `Conv1d(S,S,12,3) -> ReLU -> Conv1d(S,S,5,2) -> ReLU -> Conv1d(S,S,5,1)` where the
/// window's steps are the channels and its features the length: (steps, features) -> (steps, outputLength).
///
/// Each convolution is one GEMM on an im2col copy: `out (S, L') = W (S, S*K) · columns (S*K, L') + b`.
struct ConvEncoder: Sendable {
    /// (kernel, stride) of the three convolutions, as in `UT_HAR_CNN_GRU`.
    static let kernels: [(size: Int, stride: Int)] = [(12, 3), (5, 2), (5, 1)]
    /// Module indices in the `encoder` Sequential (ReLUs sit between them).
    static let moduleIndices = [0, 2, 4]

    /// Length after each convolution for an input of `features` (0 when too short).
    static func lengths(features: Int) -> [Int] {
        var length = features
        var result: [Int] = []
        for kernel in kernels {
            length = length >= kernel.size ? (length - kernel.size) / kernel.stride + 1 : 0
            result.append(length)
        }
        return result
    }

    /// Output length (features of the GRU that follows); 0 when `features` is too short.
    static func outputLength(features: Int) -> Int { lengths(features: features).last ?? 0 }

    /// Expected tensors: `prefix.{0,2,4}.weight` (S, S, K) and `.bias` (S).
    static func expectedShapes(prefix: String, channels: Int) -> [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        for (index, kernel) in zip(moduleIndices, kernels) {
            shapes["\(prefix).\(index).weight"] = [channels, channels, kernel.size]
            shapes["\(prefix).\(index).bias"] = [channels]
        }
        return shapes
    }

    let channels: Int
    let inputLength: Int
    let lengths: [Int]
    let weights: [[Float]]    // 3 x (channels, channels*kernel)
    let biases: [[Float]]     // 3 x (channels)

    /// Loads the three convolutions (shapes already validated).
    init(prefix: String, channels: Int, features: Int, tensors: [String: SafetensorsFile.Tensor]) {
        self.channels = channels
        inputLength = features
        lengths = Self.lengths(features: features)
        weights = Self.moduleIndices.map { tensors["\(prefix).\($0).weight"]?.values ?? [] }
        biases = Self.moduleIndices.map { tensors["\(prefix).\($0).bias"]?.values ?? [] }
    }

    /// Output features per channel.
    var outputLength: Int { lengths.last ?? 0 }

    /// Scratch floats needed: im2col columns and two activations.
    var columnsSize: Int { channels * Self.kernels[0].size * (lengths.first ?? 0) }

    /// Encodes one window: `input` (channels, inputLength) -> `output` (channels, outputLength).
    /// `columns` holds `columnsSize` floats, `scratch` two blocks of (channels, lengths[0]).
    func forward(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
                 columns: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        var source = input
        var sourceLength = inputLength
        let block = channels * (lengths.first ?? 0)
        for (layer, kernel) in Self.kernels.enumerated() {
            let length = lengths[layer]
            let destination = layer == 2 ? output : scratch + (layer % 2) * block    // (channels, length)
            // columns (channels*K, length): columns[c*K + k, j] = source[c, j*stride + k]
            for channel in 0..<channels {
                for offset in 0..<kernel.size {
                    let row = columns + (channel * kernel.size + offset) * length
                    let base = source + channel * sourceLength + offset
                    for position in 0..<length { row[position] = base[position * kernel.stride] }
                }
            }
            weights[layer].withUnsafeBufferPointer { weight in
                LinearAlgebra.multiply(weight.baseAddress!, rows: channels, inner: channels * kernel.size,
                                       columns, columns: length, into: destination)
            }
            biases[layer].withUnsafeBufferPointer { bias in
                for channel in 0..<channels {
                    let row = destination + channel * length
                    for position in 0..<length { row[position] += bias[channel] }
                }
            }
            if layer < 2 { VectorMath.reluInPlace(destination, count: channels * length) }
            source = UnsafePointer(destination)
            sourceLength = length
        }
    }
}
