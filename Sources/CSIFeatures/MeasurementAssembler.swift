import CSICapture

/// Turns a transmitter's frame stream into whole measurements for ``FeatureExtractor``: frames without a core
/// (Intel 5300, ESP32, Atheros) pass through; Nexmon frames are joined across cores 0..2 with ``AntennaGrouper``
/// when the stream carries several cores, and passed through when it carries only one (a single-core chip, which
/// the extractor then rejects or replicates as configured).
///
/// The decision is made from the stream itself: a frame from a second core means multi-core; three measurements
/// (sequence numbers) in a row from one core only mean single-core. Frames seen before the decision are kept
/// and released once it is made, so nothing is lost.
public final class MeasurementAssembler {
    /// How the stream turned out.
    public enum Mode: Sendable, Equatable {
        /// Not decided yet.
        case undecided
        /// One frame per measurement.
        case single
        /// One frame per core, joined.
        case multiCore
    }

    /// The cores that make the 3 antennas (stream `spatialStream`).
    public let cores: [UInt8]
    /// The spatial stream used.
    public let spatialStream: UInt8
    /// The decided mode.
    public private(set) var mode: Mode = .undecided
    /// The grouper for multi-core streams (its counters report incomplete measurements).
    public let grouper: AntennaGrouper

    /// Frames held until the mode is decided.
    private var held: [CSIFrame] = []
    private var heldSequences: [Int] = []

    /// Creates an assembler for `cores` of `spatialStream`.
    public init(cores: [UInt8] = [0, 1, 2], spatialStream: UInt8 = 0) {
        self.cores = cores
        self.spatialStream = spatialStream
        grouper = AntennaGrouper(cores: cores, spatialStream: spatialStream)
    }

    /// Feeds one frame; calls `emit` for every measurement it completes (in order).
    public func push(_ frame: consuming CSIFrame, emit: (consuming CSIFrame) throws -> Void) rethrows {
        guard let core = frame.source.core else { try emit(consume frame); return }
        switch mode {
        case .single:
            if (frame.source.spatialStream ?? 0) == spatialStream { try emit(consume frame) }
        case .multiCore:
            if let joined = grouper.push(frame) { try emit(joined) }
        case .undecided:
            let sequence = frame.sequence ?? Int((frame.timestamp * 1e6).rounded())
            held.append(frame)
            if heldSequences.last != sequence { heldSequences.append(sequence) }
            let heldCores = Set(held.compactMap(\.source.core))
            if heldCores.count > 1 || core != held[0].source.core {
                mode = .multiCore
            } else if heldSequences.count >= 3 {
                mode = .single
            } else {
                return
            }
            let release = held
            held.removeAll()
            heldSequences.removeAll()
            for frame in release { try push(frame, emit: emit) }
        }
    }

    /// Forgets held frames and the decision.
    public func reset() {
        mode = .undecided
        held.removeAll()
        heldSequences.removeAll()
    }
}
