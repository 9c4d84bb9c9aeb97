/// Runs a ``CSIModel`` on batches of up to `maxBatch` windows with memory allocated once, at creation.
///
/// One session per thread (it owns its scratch buffers); the model itself is shared.
public final class InferenceSession {
    /// The model this session runs.
    public let model: CSIModel
    /// The largest batch accepted by one call.
    public let maxBatch: Int

    private let workspace: RecurrentWorkspace             // main recurrent stack
    private let encoderWorkspace: RecurrentWorkspace?     // cnn-gru-parallel: the stack after the encoder
    private let encoded: FloatBuffer                      // (maxBatch, steps, encoderLength)   cnn families
    private let columns: FloatBuffer                      // (steps*12, length0)               im2col scratch
    private let convolutionScratch: FloatBuffer           // (2, steps, length0)
    private let scores: FloatBuffer                       // (maxBatch*steps, attention)        ablstm
    private let attentionWeights: FloatBuffer             // (steps*maxBatch)                   ablstm
    private let attentionAlpha: FloatBuffer               // (steps)                            ablstm
    private let features: FloatBuffer                     // (maxBatch, classifier inputs)
    private var currentHead: LinearLayer                  // the model's classifier, or a replacement (setHead)

    /// Allocates the buffers for `maxBatch` windows.
    public init(model: CSIModel, maxBatch: Int) {
        let config = model.config
        let batch = max(1, maxBatch)
        let steps = config.steps
        self.model = model
        self.maxBatch = batch
        workspace = RecurrentWorkspace(stack: model.recurrent, maxBatch: batch, steps: steps)
        encoderWorkspace = model.encoderRecurrent.map { RecurrentWorkspace(stack: $0, maxBatch: batch, steps: steps) }
        let encoder = model.encoder
        encoded = FloatBuffer(count: encoder.map { batch * steps * $0.outputLength } ?? 0)
        columns = FloatBuffer(count: encoder?.columnsSize ?? 0)
        convolutionScratch = FloatBuffer(count: encoder.map { 2 * steps * ($0.lengths.first ?? 0) } ?? 0)
        scores = FloatBuffer(count: model.attention.map { batch * steps * $0.projection.outputs } ?? 0)
        attentionWeights = FloatBuffer(count: model.attention == nil ? 0 : batch * steps)
        attentionAlpha = FloatBuffer(count: model.attention == nil ? 0 : steps)
        features = FloatBuffer(count: batch * model.classifier.inputs)
        currentHead = model.classifier
    }

    /// Logits for `batch` windows: `windows` (batch, steps, features), already normalised -> `logits` (batch, classes).
    ///
    /// Batches larger than `maxBatch` are run in slices. The buffers must hold `batch * steps * features` and
    /// `batch * classes` floats.
    public func logits(windows: UnsafeBufferPointer<Float>, batch: Int, into logits: UnsafeMutableBufferPointer<Float>) {
        let config = model.config
        let windowSize = config.steps * config.features
        guard batch > 0, let input = windows.baseAddress, let output = logits.baseAddress,
              windows.count >= batch * windowSize, logits.count >= batch * config.classes else { return }
        var start = 0
        while start < batch {
            let count = min(maxBatch, batch - start)
            forward(input + start * windowSize, batch: count, into: output + start * config.classes)
            start += count
        }
    }

    /// Like ``logits(windows:batch:into:)`` followed by a softmax per row: class probabilities.
    public func probabilities(windows: UnsafeBufferPointer<Float>, batch: Int,
                              into probabilities: UnsafeMutableBufferPointer<Float>) {
        logits(windows: windows, batch: batch, into: probabilities)
        guard let output = probabilities.baseAddress, probabilities.count >= batch * model.config.classes else { return }
        for row in 0..<batch {
            VectorMath.softmaxInPlace(output + row * model.config.classes, count: model.config.classes)
        }
    }

    /// E: the size of one window's embedding (the input of the model's final Linear classifier).
    public var embeddingSize: Int { model.classifier.inputs }

    /// The head ``logits(windows:batch:into:)`` applies: the model's own, or the replacement given to
    /// ``setHead(_:)`` (a read-only copy).
    public var head: ClassifierHead { ClassifierHead(layer: currentHead) }

    /// Replaces the final classifier layer used by ``logits(windows:batch:into:)`` and
    /// ``probabilities(windows:batch:into:)`` (e.g. a calibrated head, ``HeadCalibration``); `nil` restores the
    /// model's own. The head must have the model's classes and embedding size. Nothing is allocated per window.
    public func setHead(_ head: ClassifierHead?) throws(HeadAdaptationError) {
        guard let head else {
            currentHead = model.classifier
            return
        }
        guard head.classes == model.config.classes, head.inputs == embeddingSize else {
            throw .shape("head is \(head.classes) classes x \(head.inputs) inputs; model \(model.config.name) has "
                         + "\(model.config.classes) classes x \(embeddingSize) inputs")
        }
        currentHead = head.layer
    }

    /// Embeddings for `batch` windows: `windows` (batch, steps, features), already normalised -> `embeddings`
    /// (batch, E), E = ``embeddingSize``: the vector the model's final Linear classifier reads (`h_n[-1]`, the
    /// attention context of `ablstm`, `[cnn_gru h_n[-1], gru h_n[-1]]` of `cnn-gru-parallel`), so that
    /// `logits = embedding · Wᵀ + b` with the model's ``head``.
    ///
    /// Batches larger than `maxBatch` are run in slices. The buffers must hold `batch * steps * features` and
    /// `batch * E` floats (nothing is written otherwise).
    public func embeddings(windows: UnsafeBufferPointer<Float>, batch: Int,
                           into embeddings: UnsafeMutableBufferPointer<Float>) {
        let config = model.config
        let windowSize = config.steps * config.features
        let size = embeddingSize
        guard batch > 0, let input = windows.baseAddress, let output = embeddings.baseAddress,
              windows.count >= batch * windowSize, embeddings.count >= batch * size else { return }
        var start = 0
        while start < batch {
            let count = min(maxBatch, batch - start)
            let slice = embed(input + start * windowSize, batch: count)          // (count, E)
            (output + start * size).update(from: slice, count: count * size)
            start += count
        }
    }

    /// The hidden states `h_n` of the main recurrent stack after the last call, (layers*directions, batch, hidden)
    /// for that call's last slice; for tests and diagnostics.
    public func finalHiddenStates(batch: Int) -> [Float] {
        let stack = model.recurrent
        let count = stack.layers.count * stack.directions * batch * stack.hiddenSize
        return Array(UnsafeBufferPointer(start: workspace.finalHidden.pointer, count: count))
    }

    /// One slice of at most `maxBatch` windows: input (batch, steps, features) -> output (batch, classes), through
    /// the current head (the model's, or the one given to ``setHead(_:)``).
    ///
    /// `firstLayerProjection` (recurrent families only) supplies the main stack's layer-0 input projections, in
    /// which case `input` is not read (see ``StreamingSession``).
    func forward(_ input: UnsafePointer<Float>, batch: Int, into output: UnsafeMutablePointer<Float>,
                 firstLayerProjection: ((Int, Int, Int) -> UnsafePointer<Float>)? = nil) {
        let classifierInput = embed(input, batch: batch, firstLayerProjection: firstLayerProjection)
        currentHead.forward(classifierInput, rows: batch, inputStride: currentHead.inputs, into: output)
    }

    /// One slice of at most `maxBatch` windows: input (batch, steps, features) -> the final classifier's input,
    /// returned as a pointer to the session's buffer, (batch, E); valid until the next call.
    func embed(_ input: UnsafePointer<Float>, batch: Int,
               firstLayerProjection: ((Int, Int, Int) -> UnsafePointer<Float>)? = nil) -> UnsafeMutablePointer<Float> {
        let config = model.config
        let steps = config.steps
        let hidden = config.hiddenSize
        let classifierInput = features.pointer                                  // (batch, classifier inputs)
        switch config.architecture {
        case .rnn, .gru, .lstm, .bilstm:
            _ = model.recurrent.run(input, batch: batch, steps: steps, workspace: workspace,
                                    firstLayerProjection: firstLayerProjection)
            // h_n[-1] (batch, hidden): the last layer's last direction (backward when bidirectional)
            classifierInput.update(from: model.recurrent.lastFinalHidden(workspace, batch: batch), count: batch * hidden)
        case .ablstm:
            let sequence = model.recurrent.run(input, batch: batch, steps: steps, workspace: workspace,
                                               firstLayerProjection: firstLayerProjection)
            // sequence (steps, batch, 2*hidden) -> context (batch, 2*hidden)
            model.attention?.forward(sequence, batch: batch, steps: steps, into: classifierInput,
                                     scores: scores.pointer, weights: attentionWeights.pointer,
                                     alpha: attentionAlpha.pointer)
        case .cnnGRU, .cnnGRUParallel:
            guard let encoder = model.encoder else { return classifierInput }
            let length = encoder.outputLength
            // encoded (batch, steps, length): each window's steps are the conv channels
            for row in 0..<batch {
                encoder.forward(input + row * steps * config.features, into: encoded.pointer + row * steps * length,
                                columns: columns.pointer, scratch: convolutionScratch.pointer)
            }
            if config.architecture == .cnnGRU {
                _ = model.recurrent.run(encoded.pointer, batch: batch, steps: steps, workspace: workspace)
                classifierInput.update(from: model.recurrent.lastFinalHidden(workspace, batch: batch),
                                       count: batch * hidden)
            } else if let branch = model.encoderRecurrent, let branchWorkspace = encoderWorkspace {
                _ = branch.run(encoded.pointer, batch: batch, steps: steps, workspace: branchWorkspace)
                _ = model.recurrent.run(input, batch: batch, steps: steps, workspace: workspace)
                // classifier input (batch, 2*hidden) = [cnn_gru h_n[-1], gru h_n[-1]]
                let fromEncoder = branch.lastFinalHidden(branchWorkspace, batch: batch)
                let fromInput = model.recurrent.lastFinalHidden(workspace, batch: batch)
                for row in 0..<batch {
                    (classifierInput + row * 2 * hidden).update(from: fromEncoder + row * hidden, count: hidden)
                    (classifierInput + row * 2 * hidden + hidden).update(from: fromInput + row * hidden, count: hidden)
                }
            }
        }
        return classifierInput
    }
}
