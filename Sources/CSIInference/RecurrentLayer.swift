/// The cell of a recurrent layer, with PyTorch's gate order.
public enum RecurrentCell: Sendable, Equatable {
    /// `h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`.
    case rnnTanh
    /// `h' = relu(W_ih x + b_ih + W_hh h + b_hh)`.
    case rnnRelu
    /// Gates r, z, n; `n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`, `h' = (1 - z) n + z h`.
    case gru
    /// Gates i, f, g, o; `c' = f c + i g`, `h' = o tanh(c')`.
    case lstm

    /// Gate blocks in the weight matrices (1, 3 or 4).
    public var gates: Int {
        switch self {
        case .rnnTanh, .rnnRelu: 1
        case .gru: 3
        case .lstm: 4
        }
    }
}

/// One direction of one recurrent layer: PyTorch's `weight_ih_lK`, `weight_hh_lK`, `bias_ih_lK`, `bias_hh_lK`.
struct RecurrentLayer: Sendable {
    let cell: RecurrentCell
    let inputSize: Int
    let hiddenSize: Int
    let weightInput: FloatBuffer      // (gates*hidden, inputSize)  W_ih
    let weightHidden: FloatBuffer     // (gates*hidden, hidden)     W_hh
    let weightHiddenTransposed: FloatBuffer   // (hidden, gates*hidden)  W_hhᵀ, for the one-row matvec
    let inputBias: FloatBuffer        // (gates*hidden)  b_ih + b_hh, except GRU's n block which keeps b_in only;
                                      //                 added by `step`, not by `project`
    let gruHiddenBiasN: FloatBuffer   // (hidden)        GRU b_hn (applied inside r * (...)); unused by other cells

    /// Builds the layer from PyTorch tensors (shapes already validated).
    init(cell: RecurrentCell, inputSize: Int, hiddenSize: Int,
         weightIH: [Float], weightHH: [Float], biasIH: [Float], biasHH: [Float]) {
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        weightInput = FloatBuffer(weightIH)
        weightHidden = FloatBuffer(weightHH)
        let width = cell.gates * hiddenSize
        var transposed = [Float](repeating: 0, count: weightHH.count)
        for row in 0..<width where weightHH.count == width * hiddenSize {
            for column in 0..<hiddenSize { transposed[column * width + row] = weightHH[row * hiddenSize + column] }
        }
        weightHiddenTransposed = FloatBuffer(transposed)
        var bias = biasIH
        if cell == .gru {
            for index in 0..<(2 * hiddenSize) { bias[index] += biasHH[index] }
            gruHiddenBiasN = FloatBuffer(Array(biasHH[(2 * hiddenSize)...]))
        } else {
            for index in bias.indices { bias[index] += biasHH[index] }
            gruHiddenBiasN = FloatBuffer(count: 0)
        }
        inputBias = FloatBuffer(bias)
    }

    /// Width of one gate pre-activation row.
    var gateWidth: Int { cell.gates * hiddenSize }

    /// Input projection of every step of every window, without the bias: `projection = input · W_ihᵀ`.
    ///
    /// `input` is (rows, inputSize) with row stride `inputStride`; `projection` is (rows, gates*hidden) with row
    /// stride `projectionStride` (default gates*hidden). ``step`` adds ``inputBias`` as it reads the projection, so
    /// that no (rows, gates*hidden) bias broadcast is written and read again.
    func project(_ input: UnsafePointer<Float>, rows: Int, inputStride: Int,
                 into projection: UnsafeMutablePointer<Float>, projectionStride: Int? = nil) {
        LinearAlgebra.multiplyTransposed(input, rows: rows, inputs: inputSize, inputStride: inputStride,
                                         weight: weightInput.pointer, outputs: gateWidth,
                                         into: projection, outputStride: projectionStride ?? gateWidth)
    }

    /// One time step for `batch` sequences: the hidden states `previous` (batch, hidden; row stride
    /// `previousStride`) advance to `hidden` (batch, hidden; row stride `hiddenStride`), and `cellState`
    /// (batch, hidden) in place. `hidden` may be a block of columns of the layer's output sequence, so that no
    /// per-step copy is made; it must not overlap `previous`.
    ///
    /// `projection(b)` points at sequence b's input projection for this step without the bias (gates*hidden);
    /// `recurrent` is scratch (batch, gates*hidden).
    @inline(__always)
    func step(batch: Int, projection: (Int) -> UnsafePointer<Float>,
              previous: UnsafePointer<Float>, previousStride: Int,
              hidden: UnsafeMutablePointer<Float>, hiddenStride: Int,
              cellState: UnsafeMutablePointer<Float>, recurrent: UnsafeMutablePointer<Float>) {
        let width = gateWidth
        let size = hiddenSize
        // recurrent (batch, gates*hidden) = previous (batch, hidden) · W_hhᵀ
        if batch == 1 {
            // one row: sgemv, recurrent (gates*hidden) = W_hhᵀᵀ · h, streaming W_hhᵀ
            LinearAlgebra.multiplyTransposedLeft(weightHiddenTransposed.pointer, rows: size, columns: width,
                                                 rowStride: width, vector: previous, into: recurrent)
        } else if batch <= LinearAlgebra.largestRecurrentKernelRows {
            // 2-64 rows (the daemon's per-tick batches, evaluation batches): W_hhᵀ read once per four rows, from
            // cache; one sgemv per row reads it once per row, and OpenBLAS's sgemm packs all of W_hh at every step
            LinearAlgebra.multiplyTransposedLeft(weightHiddenTransposed.pointer, rows: size, columns: width,
                                                 rowStride: width, vectors: previous, count: batch,
                                                 vectorStride: previousStride, into: recurrent, outputStride: width)
        } else {
            LinearAlgebra.multiplyTransposed(previous, rows: batch, inputs: size, inputStride: previousStride,
                                             weight: weightHidden.pointer, outputs: width,
                                             into: recurrent, outputStride: width)
        }
        let bias = inputBias.pointer
        let biasN = gruHiddenBiasN.pointer
        for row in 0..<batch {
            let input = projection(row)                 // (gates*hidden)
            let gates = recurrent + row * width         // (gates*hidden)
            let before = previous + row * previousStride // (hidden)
            let after = hidden + row * hiddenStride     // (hidden)
            switch cell {
            case .gru:
                Self.gruUpdate(input: input, bias: bias, recurrent: gates, biasN: biasN, previous: before,
                               hidden: after, size: size)
            case .lstm:
                Self.lstmUpdate(input: input, bias: bias, recurrent: gates, hidden: after,
                                cell: cellState + row * size, size: size)
            case .rnnTanh:
                Self.rnnUpdate(input: input, bias: bias, recurrent: gates, hidden: after, size: size, relu: false)
            case .rnnRelu:
                Self.rnnUpdate(input: input, bias: bias, recurrent: gates, hidden: after, size: size, relu: true)
            }
        }
    }

    /// GRU: r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r (h_n + b_hn)), h = n + z (h - n).
    ///
    /// Sixteen units per iteration, as two independent eight-lane chains: each unit is a long chain of dependent
    /// operations (two divisions and two exponentials in a row), which two chains overlap.
    @inline(__always)
    static func gruUpdate(input: UnsafePointer<Float>, bias: UnsafePointer<Float>, recurrent: UnsafePointer<Float>,
                          biasN: UnsafePointer<Float>, previous: UnsafePointer<Float>,
                          hidden: UnsafeMutablePointer<Float>, size: Int) {
        @inline(__always)
        func units(_ index: Int, _ lanes: Int) -> SIMD8<Float> {
            @inline(__always)
            func gate(_ block: Int) -> SIMD8<Float> {
                VectorMath.load(input + block * size + index, count: lanes)
                    + VectorMath.load(bias + block * size + index, count: lanes)
            }
            let r = VectorMath.sigmoid(gate(0) + VectorMath.load(recurrent + index, count: lanes))
            let z = VectorMath.sigmoid(gate(1) + VectorMath.load(recurrent + size + index, count: lanes))
            let hn = VectorMath.load(recurrent + 2 * size + index, count: lanes) + VectorMath.load(biasN + index, count: lanes)
            let n = VectorMath.tanh(gate(2) + r * hn)
            let before = VectorMath.load(previous + index, count: lanes)
            return n + z * (before - n)
        }
        var index = 0
        while index + 16 <= size {
            let first = units(index, 8)
            let second = units(index + 8, 8)
            VectorMath.store(first, hidden + index, count: 8)
            VectorMath.store(second, hidden + index + 8, count: 8)
            index += 16
        }
        while index < size {
            let lanes = min(8, size - index)
            VectorMath.store(units(index, lanes), hidden + index, count: lanes)
            index += 8
        }
    }

    /// LSTM: i, f, o = σ(...), g = tanh(...), c = f c + i g, h = o tanh(c). (Two chains per iteration, as in
    /// ``gruUpdate``, made no difference here: the LSTM's chain is shorter.)
    @inline(__always)
    static func lstmUpdate(input: UnsafePointer<Float>, bias: UnsafePointer<Float>, recurrent: UnsafePointer<Float>,
                           hidden: UnsafeMutablePointer<Float>, cell: UnsafeMutablePointer<Float>, size: Int) {
        var index = 0
        while index < size {
            let lanes = min(8, size - index)
            func gate(_ block: Int) -> SIMD8<Float> {
                VectorMath.load(input + block * size + index, count: lanes)
                    + VectorMath.load(bias + block * size + index, count: lanes)
                    + VectorMath.load(recurrent + block * size + index, count: lanes)
            }
            let i = VectorMath.sigmoid(gate(0))
            let f = VectorMath.sigmoid(gate(1))
            let g = VectorMath.tanh(gate(2))
            let o = VectorMath.sigmoid(gate(3))
            let c = f * VectorMath.load(cell + index, count: lanes) + i * g
            VectorMath.store(c, cell + index, count: lanes)
            VectorMath.store(o * VectorMath.tanh(c), hidden + index, count: lanes)
            index += 8
        }
    }

    /// Elman RNN: h = tanh(x + W_hh h) or relu(...).
    @inline(__always)
    static func rnnUpdate(input: UnsafePointer<Float>, bias: UnsafePointer<Float>, recurrent: UnsafePointer<Float>,
                          hidden: UnsafeMutablePointer<Float>, size: Int, relu: Bool) {
        var index = 0
        while index < size {
            let lanes = min(8, size - index)
            let sum = VectorMath.load(input + index, count: lanes) + VectorMath.load(bias + index, count: lanes)
                + VectorMath.load(recurrent + index, count: lanes)
            let value = relu ? sum.replacing(with: 0, where: sum .< 0) : VectorMath.tanh(sum)
            VectorMath.store(value, hidden + index, count: lanes)
            index += 8
        }
    }
}
