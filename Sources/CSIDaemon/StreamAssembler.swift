import CSICapture
import CSIFeatures

/// Turns one stream's frames into whole measurements (one ``CSIFrame`` with every chain), before rate
/// measurement, routing and features; built by ``StreamGrouping``. It reuses CSIFeatures' joiners: Nexmon cores
/// with ``MeasurementAssembler``, boards with ``AntennaGrouper``.
public final class StreamAssembler {
    /// Nexmon cores of one transmitter (`nil`: frames pass unchanged, or go to ``boards``).
    private let cores: MeasurementAssembler?
    /// Boards joined by chain (`nil` unless a `[[group]]`).
    private let boards: AntennaGrouper?
    /// The chain of the frame being pushed to ``boards``.
    private let chain = Chain()
    private final class Chain { var value = 0 }

    /// Joins Nexmon cores (`joinCores`) or passes frames unchanged.
    public init(joinCores: Bool) {
        cores = joinCores ? MeasurementAssembler() : nil
        boards = nil
    }

    /// Joins `boards` sources, one chain each (the frame's chain is given to ``push(_:chain:emit:)``).
    public init(boards count: Int) {
        cores = nil
        let chain = self.chain
        boards = AntennaGrouper(antennas: count) { _ in chain.value }
    }

    /// Measurements dropped because a core or board never delivered its part.
    public var incomplete: Int { (cores?.grouper.incomplete ?? 0) + (boards?.incomplete ?? 0) }

    /// Feeds one frame (`chain`: its board's position in a `[[group]]`); calls `emit` per completed measurement.
    public func push(_ frame: consuming CSIFrame, chain: Int = 0, emit: (consuming CSIFrame) -> Void) {
        if let boards {
            self.chain.value = chain
            if let joined = boards.push(frame) { emit(joined) }
        } else if let cores {
            cores.push(consume frame, emit: emit)
        } else {
            emit(consume frame)
        }
    }

    /// Forgets frames held for incomplete measurements (the stream ended).
    public func reset() { cores?.reset() }
}
