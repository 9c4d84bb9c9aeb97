/// A classifier that keeps per-stream state and classifies windows from it: steps go in one at a time as they are
/// made, windows are named by their end position. The engine's `StreamingSession` computes each step's input
/// projection once instead of once per overlapping window (see ``ModelClassifier``).
public protocol StreamingWindowClassifier: WindowClassifier {
    /// Steps that may arrive after a window's end before that window must be classified.
    var slack: Int { get }
    /// Opens a stream; returns its slot.
    func openStream() -> Int
    /// Closes a stream's slot.
    func closeStream(_ slot: Int)
    /// Appends one raw (un-normalised) step (features,) to a stream.
    func append(step: UnsafeBufferPointer<Float>, to slot: Int)
    /// The position just after the stream's last step (the end of a window ending now).
    func position(of slot: Int) -> Int
    /// Class probabilities (count, classes) of the windows ending at `ends[i]` of streams `slots[i]`.
    func classify(slots: UnsafeBufferPointer<Int>, ends: UnsafeBufferPointer<Int>,
                  into probabilities: UnsafeMutableBufferPointer<Float>) throws
}
