/// A multi-layer, optionally bidirectional RNN/GRU/LSTM: PyTorch's `nn.RNN/GRU/LSTM(batch_first=True)`.
struct RecurrentStack: Sendable {
    let cell: RecurrentCell
    let inputSize: Int
    let hiddenSize: Int
    let directions: Int
    let layers: [[RecurrentLayer]]    // (num_layers, directions)

    /// Features per step of the output sequence (`directions * hidden`).
    var outputSize: Int { directions * hiddenSize }

    /// Loads `prefix.weight_ih_l{k}[_reverse]` etc. from `tensors` (names and shapes already validated).
    init(cell: RecurrentCell, prefix: String, inputSize: Int, hiddenSize: Int, numLayers: Int, directions: Int,
         tensors: [String: SafetensorsFile.Tensor]) {
        self.cell = cell
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.directions = directions
        var layers: [[RecurrentLayer]] = []
        for layer in 0..<numLayers {
            var pair: [RecurrentLayer] = []
            for direction in 0..<directions {
                let names = Self.tensorNames(prefix: prefix, layer: layer, direction: direction)
                pair.append(RecurrentLayer(
                    cell: cell, inputSize: layer == 0 ? inputSize : directions * hiddenSize, hiddenSize: hiddenSize,
                    weightIH: tensors[names.weightIH]?.values ?? [], weightHH: tensors[names.weightHH]?.values ?? [],
                    biasIH: tensors[names.biasIH]?.values ?? [], biasHH: tensors[names.biasHH]?.values ?? []))
            }
            layers.append(pair)
        }
        self.layers = layers
    }

    /// PyTorch's parameter names for one direction of one layer.
    static func tensorNames(prefix: String, layer: Int, direction: Int)
        -> (weightIH: String, weightHH: String, biasIH: String, biasHH: String) {
        let suffix = "_l\(layer)" + (direction == 1 ? "_reverse" : "")
        return ("\(prefix).weight_ih\(suffix)", "\(prefix).weight_hh\(suffix)",
                "\(prefix).bias_ih\(suffix)", "\(prefix).bias_hh\(suffix)")
    }

    /// Expected tensors and shapes of the whole stack.
    static func expectedShapes(prefix: String, cell: RecurrentCell, inputSize: Int, hiddenSize: Int,
                               numLayers: Int, directions: Int) -> [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        let width = cell.gates * hiddenSize
        for layer in 0..<numLayers {
            for direction in 0..<directions {
                let names = tensorNames(prefix: prefix, layer: layer, direction: direction)
                shapes[names.weightIH] = [width, layer == 0 ? inputSize : directions * hiddenSize]
                shapes[names.weightHH] = [width, hiddenSize]
                shapes[names.biasIH] = [width]
                shapes[names.biasHH] = [width]
            }
        }
        return shapes
    }

    /// Runs the stack over `batch` sequences of `steps` steps; `input` is (batch, steps, inputSize).
    ///
    /// `initialHidden` / `initialCell` are PyTorch's `h_0` / `c_0`, (layers*directions, batch, hidden); zeros when nil.
    /// Afterwards `workspace.finalHidden` holds `h_n` (layers*directions, batch, hidden), and the returned pointer
    /// the last layer's output sequence, **time-major**: (steps, batch, directions*hidden).
    ///
    /// Inside, everything is time-major so that one step of the whole batch reads and writes contiguous rows: the
    /// input is transposed once to (steps, batch, inputSize) and projected by one GEMM per layer and direction.
    ///
    /// `firstLayerProjection`, when given, supplies layer 0's input projection `x_t · W_ihᵀ + bias` for
    /// (direction, row, time) instead of computing it from `input` (the streaming path caches it per frame).
    func run(_ input: UnsafePointer<Float>, batch: Int, steps: Int, workspace: RecurrentWorkspace,
             initialHidden: UnsafePointer<Float>? = nil, initialCell: UnsafePointer<Float>? = nil,
             firstLayerProjection: ((_ direction: Int, _ row: Int, _ time: Int) -> UnsafePointer<Float>)? = nil)
        -> UnsafeMutablePointer<Float> {
        let size = hiddenSize
        let outputWidth = outputSize
        var layerInput = input                                                     // (steps, batch, inputSize)
        if batch > 1 && firstLayerProjection == nil {
            let transposed = workspace.timeMajorInput.pointer
            for row in 0..<batch {
                for time in 0..<steps {
                    (transposed + (time * batch + row) * inputSize).update(from: input + (row * steps + time) * inputSize,
                                                                          count: inputSize)
                }
            }
            layerInput = UnsafePointer(transposed)
        }
        var layerInputWidth = inputSize
        var output = workspace.sequence[0].pointer
        for (layerIndex, layer) in layers.enumerated() {
            output = workspace.sequence[layerIndex % 2].pointer                    // (steps, batch, directions*hidden)
            for (direction, weights) in layer.enumerated() {
                let reverse = direction == 1
                let stateIndex = layerIndex * directions + direction
                let projection = workspace.projection.pointer                      // (chunk*batch, gates*hidden)
                let width = weights.gateWidth
                let cached = layerIndex == 0 ? firstLayerProjection : nil
                // The input projection is computed `chunk` steps at a time, just before the recurrence reaches
                // them, so that it is read back from cache: (chunk*batch, gates*hidden) rows of `projection`.
                let chunk = Self.projectionChunk(batch: batch, width: width, steps: steps)
                let hidden = workspace.hidden.pointer                              // (batch, hidden)  h_0
                let cellState = workspace.cell.pointer                             // (batch, hidden)
                if let initialHidden {
                    hidden.update(from: initialHidden + stateIndex * batch * size, count: batch * size)
                } else {
                    hidden.update(repeating: 0, count: batch * size)
                }
                if let initialCell {
                    cellState.update(from: initialCell + stateIndex * batch * size, count: batch * size)
                } else {
                    cellState.update(repeating: 0, count: batch * size)
                }
                // Each step reads the previous step's hidden rows where the output sequence holds them and writes
                // its own there: (batch, hidden) blocks with row stride directions*hidden, no per-step copy.
                var previous = UnsafePointer(hidden)                               // (batch, hidden) h_0
                var previousStride = size
                for position in 0..<steps {
                    let time = reverse ? steps - 1 - position : position
                    // chunk c covers times [c*chunk, min(steps, (c+1)*chunk)); it is projected on entering it
                    let chunkStart = time / chunk * chunk
                    if cached == nil && (position == 0 || time == (reverse ? min(steps, chunkStart + chunk) - 1 : chunkStart)) {
                        let chunkSteps = min(steps, chunkStart + chunk) - chunkStart
                        weights.project(layerInput + chunkStart * batch * layerInputWidth, rows: chunkSteps * batch,
                                        inputStride: layerInputWidth, into: projection)
                    }
                    let outputRows = output + time * batch * outputWidth + direction * size   // (batch, hidden)
                    if let cached {
                        weights.step(batch: batch, projection: { cached(direction, $0, time) },
                                     previous: previous, previousStride: previousStride,
                                     hidden: outputRows, hiddenStride: outputWidth,
                                     cellState: cellState, recurrent: workspace.recurrent.pointer)
                    } else {
                        weights.step(batch: batch,
                                     projection: { UnsafePointer(projection + ((time - chunkStart) * batch + $0) * width) },
                                     previous: previous, previousStride: previousStride,
                                     hidden: outputRows, hiddenStride: outputWidth,
                                     cellState: cellState, recurrent: workspace.recurrent.pointer)
                    }
                    previous = UnsafePointer(outputRows)
                    previousStride = outputWidth
                }
                let finalHidden = workspace.finalHidden.pointer + stateIndex * batch * size   // (batch, hidden)
                for row in 0..<batch {
                    (finalHidden + row * size).update(from: previous + row * previousStride, count: size)
                }
                (workspace.finalCell.pointer + stateIndex * batch * size).update(from: cellState, count: batch * size)
            }
            layerInput = UnsafePointer(output)
            layerInputWidth = outputWidth
        }
        return output
    }

    /// Steps per input-projection chunk: about 64K floats (256 KB, well inside L2) of (chunk*batch, width)
    /// projection, and at least 4 steps so that each GEMM keeps enough rows.
    static func projectionChunk(batch: Int, width: Int, steps: Int) -> Int {
        return max(1, min(steps, max(4, 65_536 / max(1, batch * width))))
    }

    /// The last layer's last direction's final state `h_n[-1]` for `batch` sequences: (batch, hidden).
    func lastFinalHidden(_ workspace: RecurrentWorkspace, batch: Int) -> UnsafeMutablePointer<Float> {
        workspace.finalHidden.pointer + (layers.count * directions - 1) * batch * hiddenSize
    }
}

/// Scratch memory for ``RecurrentStack/run`` on up to `maxBatch` sequences of `steps` steps.
final class RecurrentWorkspace {
    let timeMajorInput: FloatBuffer // (steps, maxBatch, inputSize)
    let projection: FloatBuffer     // (chunk*batch, gates*hidden), chunk = RecurrentStack.projectionChunk
    let recurrent: FloatBuffer      // (maxBatch, gates*hidden)
    let sequence: [FloatBuffer]     // 2 x (steps, maxBatch, directions*hidden), alternating between layers
    let hidden: FloatBuffer         // (maxBatch, hidden)
    let cell: FloatBuffer           // (maxBatch, hidden)
    let finalHidden: FloatBuffer    // (layers*directions, maxBatch, hidden)  h_n
    let finalCell: FloatBuffer      // (layers*directions, maxBatch, hidden)  c_n

    /// Allocates everything `stack` needs.
    init(stack: RecurrentStack, maxBatch: Int, steps: Int) {
        let width = stack.cell.gates * stack.hiddenSize
        timeMajorInput = FloatBuffer(count: maxBatch > 1 ? maxBatch * steps * stack.inputSize : 0)
        // chunk*batch*width <= max(64K, 4*batch*width) for every batch <= maxBatch, and never above steps*batch*width
        projection = FloatBuffer(count: min(maxBatch * steps * width, max(65_536, 4 * maxBatch * width)))
        recurrent = FloatBuffer(count: maxBatch * width)
        sequence = [FloatBuffer(count: maxBatch * steps * stack.outputSize),
                    FloatBuffer(count: stack.layers.count > 1 ? maxBatch * steps * stack.outputSize : 1)]
        hidden = FloatBuffer(count: maxBatch * stack.hiddenSize)
        cell = FloatBuffer(count: maxBatch * stack.hiddenSize)
        finalHidden = FloatBuffer(count: stack.layers.count * stack.directions * maxBatch * stack.hiddenSize)
        finalCell = FloatBuffer(count: stack.layers.count * stack.directions * maxBatch * stack.hiddenSize)
    }
}
