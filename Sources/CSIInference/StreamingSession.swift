/// Classifies the sliding windows of many streams, computing each step's input projection once.
///
/// Every stream owns a ring of its last `steps + slack` steps. For the recurrent families (`rnn`, `gru`, `lstm`,
/// `bilstm`, `ablstm`) the ring holds the first layer's input projection `x_t · W_ihᵀ + b` of every direction,
/// computed when the step arrives, so overlapping windows (hop < steps) never recompute it: a window costs only
/// the recurrence and the head. The windows of many streams are evaluated together, one GEMM per time step over
/// the batch. The CNN families mix all steps in their first layer, so for them the ring holds the raw steps and a
/// window is evaluated whole.
///
/// A model whose input normalisation depends on the whole window (e.g. the window mean removed) gets a
/// `windowTransform`: the ring then holds the raw steps as for the CNN families, and every window is gathered,
/// transformed in place and evaluated whole.
///
/// A window is named by its end position (``position(of:)`` when its last step has been appended); up to `slack`
/// further steps may arrive before it is evaluated. Rings are allocated when a stream opens; nothing is allocated
/// per step or per window.
///
/// Steps appended a few at a time (the daemon appends one per resampled instant) are staged raw and projected
/// ``stageRows`` at a time, or all at once before a window that needs them is evaluated: one GEMM over many steps
/// instead of one matrix-vector product per step.
public final class StreamingSession {
    /// The model.
    public let model: CSIModel
    /// Windows evaluated per engine call.
    public let maxBatch: Int
    /// Steps that may arrive after a window's end before it must be evaluated.
    public let slack: Int
    /// Whether steps are projected on arrival (recurrent families) or kept raw (CNN families, window transforms).
    public let cachesProjections: Bool
    /// Applied in place to every gathered window (steps, features) before it is evaluated, or nil.
    public let windowTransform: ((UnsafeMutableBufferPointer<Float>) -> Void)?

    /// Raw steps a stream stages before their input projection is computed (recurrent families).
    public static let stageRows = 32

    /// One stream's ring.
    final class Ring {
        let values: FloatBuffer           // (capacity, rowWidth)
        let staged: FloatBuffer           // (stageRows, features) raw steps not yet projected (recurrent families)
        var stagedCount = 0               // the last `stagedCount` appended steps are in `staged`, not in `values`
        var appended = 0                  // steps appended since the stream opened (staged ones included)
        init(count: Int, stagedCount: Int) {
            values = FloatBuffer(count: count)
            staged = FloatBuffer(count: stagedCount)
        }
    }

    private let session: InferenceSession
    private let capacity: Int                 // ring rows: steps + slack
    private let rowWidth: Int                 // floats per ring row: directions*gates*hidden, or features
    private var rings: [Ring?] = []           // by slot; nil = free
    private let scratch: FloatBuffer          // (1)  the unread `input` of engine calls given cached projections
    private let gathered: FloatBuffer         // (maxBatch, steps, features)   CNN families: contiguous windows
    private let batchBases: UnsafeMutablePointer<UnsafeMutablePointer<Float>>   // (maxBatch) ring of each row
    private let batchOldest: UnsafeMutablePointer<Int>                           // (maxBatch) ring row of time 0

    /// Creates a session evaluating up to `maxBatch` windows per engine call; `slack` defaults to one window.
    /// With a `windowTransform` the appended steps are raw and each window is transformed before evaluation.
    public init(model: CSIModel, maxBatch: Int, slack: Int? = nil,
                windowTransform: ((UnsafeMutableBufferPointer<Float>) -> Void)? = nil) {
        let config = model.config
        let batch = max(1, maxBatch)
        self.model = model
        self.maxBatch = batch
        self.slack = max(0, slack ?? config.steps)
        self.windowTransform = windowTransform
        cachesProjections = windowTransform == nil
            && config.architecture != .cnnGRU && config.architecture != .cnnGRUParallel
        session = InferenceSession(model: model, maxBatch: batch)
        capacity = config.steps + self.slack
        let firstLayer = model.recurrent.layers[0]
        let width = firstLayer[0].gateWidth
        rowWidth = cachesProjections ? firstLayer.count * width : config.features
        scratch = FloatBuffer(count: 1)
        gathered = FloatBuffer(count: cachesProjections ? 0 : batch * config.steps * config.features)
        batchBases = .allocate(capacity: batch)
        batchBases.initialize(repeating: scratch.pointer, count: batch)
        batchOldest = .allocate(capacity: batch)
        batchOldest.initialize(repeating: 0, count: batch)
    }

    deinit {
        batchBases.deallocate()
        batchOldest.deallocate()
    }

    /// Opens a stream and returns its slot (allocating its ring).
    public func openStream() -> Int {
        let ring = Ring(count: capacity * rowWidth,
                        stagedCount: cachesProjections ? Self.stageRows * model.config.features : 0)
        if let free = rings.firstIndex(where: { $0 == nil }) {
            rings[free] = ring
            return free
        }
        rings.append(ring)
        return rings.count - 1
    }

    /// Closes a stream and frees its ring; the slot may be reused.
    public func closeStream(_ slot: Int) {
        guard rings.indices.contains(slot) else { return }
        rings[slot] = nil
    }

    /// Number of open streams.
    public var openStreams: Int { rings.reduce(0) { $0 + ($1 == nil ? 0 : 1) } }

    /// The position just after the stream's last step: the end of a window ending now.
    public func position(of slot: Int) -> Int {
        guard rings.indices.contains(slot), let ring = rings[slot] else { return 0 }
        return ring.appended
    }

    /// Whether the window ending at `end` can be evaluated: a full window, and not yet overwritten.
    public func canEvaluate(slot: Int, end: Int) -> Bool {
        guard rings.indices.contains(slot), let ring = rings[slot] else { return false }
        return end >= model.config.steps && end <= ring.appended && ring.appended - end <= slack
    }

    /// Appends `count` normalised steps (count, features) to a stream (raw steps with a `windowTransform`).
    public func append(steps: UnsafePointer<Float>, count: Int, to slot: Int) {
        let features = model.config.features
        guard rings.indices.contains(slot), let ring = rings[slot], count > 0 else { return }
        guard cachesProjections else { return store(steps, count: count, in: ring) }
        if ring.stagedCount + count <= Self.stageRows {
            // few steps: stage them raw; projected when the stage is full or a window needs them
            (ring.staged.pointer + ring.stagedCount * features).update(from: steps, count: count * features)
            ring.stagedCount += count
            ring.appended += count
            if ring.stagedCount == Self.stageRows { project(ring) }
        } else {
            project(ring)
            store(steps, count: count, in: ring)
        }
    }

    /// Writes `count` steps into the ring's rows at its append position: projected (recurrent families) or raw.
    private func store(_ steps: UnsafePointer<Float>, count: Int, in ring: Ring) {
        let config = model.config
        // Only the last `capacity` steps can ever be part of a window.
        let skipped = max(0, count - capacity)
        ring.appended += skipped
        var step = steps + skipped * config.features
        var remaining = count - skipped
        while remaining > 0 {
            let next = ring.appended % capacity
            let run = min(remaining, capacity - next)                     // consecutive ring rows
            let rows = ring.values.pointer + next * rowWidth              // (run, rowWidth)
            if cachesProjections {
                for (direction, layer) in model.recurrent.layers[0].enumerated() {
                    let width = layer.gateWidth
                    layer.project(step, rows: run, inputStride: config.features, into: rows + direction * width,
                                  projectionStride: rowWidth)
                }
            } else {
                rows.update(from: step, count: run * config.features)
            }
            ring.appended += run
            step += run * config.features
            remaining -= run
        }
    }

    /// Projects the ring's staged steps into their rows (nothing when none are staged).
    private func project(_ ring: Ring) {
        let count = ring.stagedCount
        guard count > 0 else { return }
        ring.stagedCount = 0
        ring.appended -= count
        store(ring.staged.pointer, count: count, in: ring)
    }

    /// Logits (count, classes) of the windows ending at `ends[i]` of streams `slots[i]`; `false` (nothing
    /// written) when one of them cannot be evaluated (see ``canEvaluate(slot:end:)``).
    @discardableResult
    public func logits(slots: UnsafeBufferPointer<Int>, ends: UnsafeBufferPointer<Int>,
                       into logits: UnsafeMutableBufferPointer<Float>) -> Bool {
        run(slots: slots, ends: ends, into: logits, width: model.config.classes, embeddingsOnly: false)
    }

    /// Logits (`width` = classes) or embeddings (`width` = E) of the windows, `maxBatch` per engine call.
    private func run(slots: UnsafeBufferPointer<Int>, ends: UnsafeBufferPointer<Int>,
                     into result: UnsafeMutableBufferPointer<Float>, width: Int, embeddingsOnly: Bool) -> Bool {
        let config = model.config
        let count = slots.count
        guard ends.count == count, let output = result.baseAddress, result.count >= count * width else {
            return false
        }
        for index in 0..<count where !canEvaluate(slot: slots[index], end: ends[index]) { return false }
        var start = 0
        while start < count {
            let batch = min(maxBatch, count - start)
            for row in 0..<batch {
                guard let ring = rings[slots[start + row]] else { return false }
                project(ring)
                batchBases[row] = ring.values.pointer
                batchOldest[row] = (ends[start + row] - config.steps) % capacity
            }
            evaluate(batch: batch, into: output + start * width, embeddingsOnly: embeddingsOnly)
            start += batch
        }
        return true
    }

    /// E: the size of one window's embedding (``InferenceSession/embeddingSize``).
    public var embeddingSize: Int { session.embeddingSize }

    /// The head ``logits(slots:ends:into:)`` applies (the model's, or the one given to ``setHead(_:)``).
    public var head: ClassifierHead { session.head }

    /// Replaces the head of ``logits(slots:ends:into:)`` / ``probabilities(slots:ends:into:)`` for every stream;
    /// `nil` restores the model's (``InferenceSession/setHead(_:)``). For a head per stream, take
    /// ``embeddings(slots:ends:into:)`` and apply each stream's ``ClassifierHead`` to its rows.
    public func setHead(_ head: ClassifierHead?) throws(HeadAdaptationError) {
        try session.setHead(head)
    }

    /// Embeddings (count, E) of the windows ending at `ends[i]` of streams `slots[i]`: the input of the model's final
    /// Linear, so that `logits = embedding · Wᵀ + b` (``ClassifierHead/logits(embeddings:rows:into:)``); `false`
    /// (nothing written) when one of them cannot be evaluated or `embeddings` holds fewer than `count * E` floats.
    /// Allocates nothing.
    @discardableResult
    public func embeddings(slots: UnsafeBufferPointer<Int>, ends: UnsafeBufferPointer<Int>,
                           into embeddings: UnsafeMutableBufferPointer<Float>) -> Bool {
        run(slots: slots, ends: ends, into: embeddings, width: session.embeddingSize, embeddingsOnly: true)
    }

    /// Like ``logits(slots:ends:into:)`` followed by a softmax per row.
    @discardableResult
    public func probabilities(slots: UnsafeBufferPointer<Int>, ends: UnsafeBufferPointer<Int>,
                              into probabilities: UnsafeMutableBufferPointer<Float>) -> Bool {
        guard logits(slots: slots, ends: ends, into: probabilities), let output = probabilities.baseAddress else {
            return false
        }
        let classes = model.config.classes
        for row in 0..<slots.count { VectorMath.softmaxInPlace(output + row * classes, count: classes) }
        return true
    }

    /// Evaluates the `batch` windows described by `batchBases` / `batchOldest` into `output`: (batch, classes), or
    /// (batch, E) with `embeddingsOnly`.
    private func evaluate(batch: Int, into output: UnsafeMutablePointer<Float>, embeddingsOnly: Bool) {
        let config = model.config
        let steps = config.steps
        let capacity = self.capacity
        let rowWidth = self.rowWidth
        let bases = batchBases
        let oldest = batchOldest
        if cachesProjections {
            let width = model.recurrent.layers[0][0].gateWidth
            // Window time t of batch row b is ring row (oldest[b] + t) % capacity of its stream.
            let projection: (Int, Int, Int) -> UnsafePointer<Float> = { direction, row, time in
                var ringRow = oldest[row] + time
                if ringRow >= capacity { ringRow -= capacity }
                return UnsafePointer(bases[row] + ringRow * rowWidth + direction * width)
            }
            if embeddingsOnly {
                let size = session.embeddingSize
                output.update(from: session.embed(scratch.pointer, batch: batch, firstLayerProjection: projection),
                              count: batch * size)
            } else {
                session.forward(scratch.pointer, batch: batch, into: output, firstLayerProjection: projection)
            }
        } else {
            for row in 0..<batch {
                let destination = gathered.pointer + row * steps * config.features     // (steps, features)
                let first = oldest[row]
                let head = min(steps, capacity - first)                               // rows before the wrap
                destination.update(from: bases[row] + first * rowWidth, count: head * rowWidth)
                (destination + head * rowWidth).update(from: bases[row], count: (steps - head) * rowWidth)
                windowTransform?(UnsafeMutableBufferPointer(start: destination, count: steps * config.features))
            }
            if embeddingsOnly {
                output.update(from: session.embed(gathered.pointer, batch: batch), count: batch * session.embeddingSize)
            } else {
                session.forward(gathered.pointer, batch: batch, into: output)
            }
        }
    }
}
