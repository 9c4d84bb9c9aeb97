/// Classifies the sliding windows of many streams, computing each frame's input projection once.
///
/// Every stream owns a ring of its last `steps` frames. For the recurrent families (`rnn`, `gru`, `lstm`,
/// `bilstm`, `ablstm`) the ring holds the first layer's input projection `x_t · W_ihᵀ + b` of every direction,
/// computed when the frame arrives, so overlapping windows (hop < steps) never recompute it; a window then costs
/// only the recurrence. The windows of all ready streams are evaluated together: one GEMM per time step over the
/// batch. The CNN families mix all steps in their first layer, so for them the ring holds the raw frames and a
/// window is evaluated whole. Nothing is allocated after creation.
public final class StreamingSession {
    /// The model.
    public let model: CSIModel
    /// The largest number of open streams.
    public let maxStreams: Int
    /// Whether frames are projected on arrival (recurrent families) or kept raw (CNN families).
    public let cachesProjections: Bool

    private let session: InferenceSession
    private let rowWidth: Int                 // floats per ring row: directions*gates*hidden, or features
    private let ring: FloatBuffer             // (maxStreams, steps, rowWidth)
    private let scratch: FloatBuffer          // (steps, gates*hidden)    one direction's projection of new frames
    private let gathered: FloatBuffer         // (maxStreams, steps, features)   CNN families: contiguous windows
    private var next: [Int]                   // per slot: ring row the next frame goes to
    private var filled: [Int]                 // per slot: frames in the ring (at most steps)
    private var open: [Bool]                  // per slot: in use
    private var batchSlots: [Int]             // slots of the batch being evaluated (capacity maxStreams)
    private let batchRows: UnsafeMutablePointer<Int>    // (maxStreams, 2): slot and oldest ring row per batch row

    /// Allocates rings for `maxStreams` streams.
    public init(model: CSIModel, maxStreams: Int) {
        let config = model.config
        let streams = max(1, maxStreams)
        self.model = model
        self.maxStreams = streams
        cachesProjections = config.architecture != .cnnGRU && config.architecture != .cnnGRUParallel
        session = InferenceSession(model: model, maxBatch: streams)
        let firstLayer = model.recurrent.layers[0]
        let width = firstLayer[0].gateWidth
        rowWidth = cachesProjections ? firstLayer.count * width : config.features
        ring = FloatBuffer(count: streams * config.steps * rowWidth)
        scratch = FloatBuffer(count: cachesProjections ? config.steps * width : 0)
        gathered = FloatBuffer(count: cachesProjections ? 0 : streams * config.steps * config.features)
        next = Array(repeating: 0, count: streams)
        filled = Array(repeating: 0, count: streams)
        open = Array(repeating: false, count: streams)
        batchSlots = []
        batchSlots.reserveCapacity(streams)
        batchRows = .allocate(capacity: 2 * streams)
        batchRows.initialize(repeating: 0, count: 2 * streams)
    }

    deinit {
        batchRows.deallocate()
    }

    /// Opens a stream; returns its slot, or nil when `maxStreams` are open.
    public func openStream() -> Int? {
        guard let slot = open.firstIndex(of: false) else { return nil }
        open[slot] = true
        next[slot] = 0
        filled[slot] = 0
        return slot
    }

    /// Closes a stream; its slot may be reused.
    public func closeStream(_ slot: Int) {
        guard open.indices.contains(slot) else { return }
        open[slot] = false
    }

    /// Whether the stream has a full window.
    public func isReady(_ slot: Int) -> Bool {
        open.indices.contains(slot) && open[slot] && filled[slot] >= model.config.steps
    }

    /// Appends `count` normalised frames (count, features) to a stream's window.
    public func append(frames: UnsafePointer<Float>, count: Int, to slot: Int) {
        let config = model.config
        guard open.indices.contains(slot), open[slot], count > 0 else { return }
        // Only the last `steps` frames can ever be part of a window.
        let skipped = max(0, count - config.steps)
        var frame = frames + skipped * config.features
        var remaining = count - skipped
        let base = ring.pointer + slot * config.steps * rowWidth
        while remaining > 0 {
            // a run of frames that lands in consecutive ring rows
            let run = min(remaining, config.steps - next[slot])
            let rows = base + next[slot] * rowWidth                          // (run, rowWidth)
            if cachesProjections {
                for (direction, layer) in model.recurrent.layers[0].enumerated() {
                    let width = layer.gateWidth
                    layer.project(frame, rows: run, inputStride: config.features, into: scratch.pointer)
                    for row in 0..<run {
                        (rows + row * rowWidth + direction * width).update(from: scratch.pointer + row * width,
                                                                            count: width)
                    }
                }
            } else {
                rows.update(from: frame, count: run * config.features)
            }
            next[slot] = (next[slot] + run) % config.steps
            filled[slot] = min(config.steps, filled[slot] + run)
            frame += run * config.features
            remaining -= run
        }
    }

    /// Logits (slots.count, classes) of the current window of each stream in `slots` (each must be ready).
    public func logits(slots: [Int], into logits: UnsafeMutableBufferPointer<Float>) {
        let config = model.config
        guard let output = logits.baseAddress, logits.count >= slots.count * config.classes else { return }
        var start = 0
        while start < slots.count {
            let count = min(maxStreams, slots.count - start)
            batchSlots.removeAll(keepingCapacity: true)
            for index in start..<(start + count) where isReady(slots[index]) { batchSlots.append(slots[index]) }
            guard batchSlots.count == count else { return }
            evaluate(into: output + start * config.classes)
            start += count
        }
    }

    /// Like ``logits(slots:into:)`` followed by a softmax per row.
    public func probabilities(slots: [Int], into probabilities: UnsafeMutableBufferPointer<Float>) {
        logits(slots: slots, into: probabilities)
        let classes = model.config.classes
        guard let output = probabilities.baseAddress, probabilities.count >= slots.count * classes else { return }
        for row in 0..<slots.count { VectorMath.softmaxInPlace(output + row * classes, count: classes) }
    }

    /// Evaluates the windows of `batchSlots` into `output` (batch, classes).
    private func evaluate(into output: UnsafeMutablePointer<Float>) {
        let config = model.config
        let steps = config.steps
        let batch = batchSlots.count
        if cachesProjections {
            let ringBase = ring.pointer
            let width = model.recurrent.layers[0][0].gateWidth
            let rowWidth = self.rowWidth
            // Window time t of batch row b is ring row (oldest + t) % steps of its slot.
            let rows = batchRows
            for (row, slot) in batchSlots.enumerated() {
                rows[2 * row] = slot
                rows[2 * row + 1] = next[slot]
            }
            session.forward(ringBase, batch: batch, into: output) { direction, row, time in
                var ringRow = rows[2 * row + 1] + time
                if ringRow >= steps { ringRow -= steps }
                return UnsafePointer(ringBase + (rows[2 * row] * steps + ringRow) * rowWidth + direction * width)
            }
        } else {
            for (row, slot) in batchSlots.enumerated() {
                let source = ring.pointer + slot * steps * rowWidth
                let destination = gathered.pointer + row * steps * config.features
                let oldest = next[slot]
                // unroll the ring: rows [oldest, steps) then [0, oldest)
                destination.update(from: source + oldest * rowWidth, count: (steps - oldest) * rowWidth)
                (destination + (steps - oldest) * rowWidth).update(from: source, count: oldest * rowWidth)
            }
            session.forward(gathered.pointer, batch: batch, into: output)
        }
    }
}
