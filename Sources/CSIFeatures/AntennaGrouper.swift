import CSICapture

/// Joins frames that are one measurement seen by different antennas (Nexmon: one UDP packet per core with the
/// same sequence number, csi-formats.md §2.6) into one frame with `nrx = 3` that ``FeatureExtractor`` maps.
///
/// Frames are assigned to antenna slots by `slot` (default: the Nexmon core's position in `cores`, stream
/// `spatialStream` only). A measurement is emitted when every slot has a frame; one that is still incomplete
/// when `pendingLimit` newer measurements are waiting is dropped and counted.
public final class AntennaGrouper {
    /// Number of antenna slots (3 for the layout).
    public let antennas: Int
    /// How many incomplete measurements may wait at once.
    public let pendingLimit: Int
    /// Measurements dropped because a slot never arrived.
    public private(set) var incomplete = 0
    /// Frames ignored: no slot (another core or spatial stream), a slot already filled, or a different grid.
    public private(set) var ignored = 0

    /// Maps a frame to its antenna slot (0..<antennas), or nil to ignore it.
    private let slot: (CSIFrame) -> Int?
    /// Measurements being collected, oldest first: key and one frame per slot.
    private var pending: [(key: Int, frames: [CSIFrame?])] = []

    /// Groups Nexmon cores `cores` (slot = position in the list) of spatial stream `spatialStream`.
    public convenience init(cores: [UInt8] = [0, 1, 2], spatialStream: UInt8 = 0, pendingLimit: Int = 4) {
        self.init(antennas: cores.count, pendingLimit: pendingLimit) { frame in
            guard (frame.source.spatialStream ?? 0) == spatialStream, let core = frame.source.core else { return nil }
            return cores.firstIndex(of: core)
        }
    }

    /// Groups frames by sequence number with a caller-defined slot assignment (e.g. three ESP32 boards).
    public init(antennas: Int, pendingLimit: Int = 4, slot: @escaping (CSIFrame) -> Int?) {
        self.antennas = antennas
        self.pendingLimit = max(1, pendingLimit)
        self.slot = slot
    }

    /// Adds one frame; returns the joined frame when its measurement is complete.
    /// Frames without a sequence number are grouped by timestamp (same microsecond).
    public func push(_ frame: CSIFrame) -> CSIFrame? {
        guard let s = slot(frame), s >= 0, s < antennas else { ignored += 1; return nil }
        let key = frame.sequence ?? Int((frame.timestamp * 1e6).rounded())
        let position: Int
        if let found = pending.firstIndex(where: { $0.key == key }) {
            position = found
        } else {
            pending.append((key: key, frames: [CSIFrame?](repeating: nil, count: antennas)))
            position = pending.count - 1
        }
        if let first = pending[position].frames.compactMap({ $0 }).first,
           first.nsub != frame.nsub || first.subcarriers != frame.subcarriers {
            ignored += 1
            return nil
        }
        guard pending[position].frames[s] == nil else { ignored += 1; return nil }
        pending[position].frames[s] = frame

        if pending[position].frames.allSatisfy({ $0 != nil }) {
            let frames = pending.remove(at: position).frames.map { $0! }
            // Anything older than a completed measurement will not complete any more.
            incomplete += position
            pending.removeFirst(position)
            return Self.join(frames)
        }
        while pending.count > pendingLimit {
            pending.removeFirst()
            incomplete += 1
        }
        return nil
    }

    /// One frame with `nrx = frames.count`: row r is transmit stream 0 of `frames[r]`, rssi per row.
    static func join(_ frames: [CSIFrame]) -> CSIFrame {
        let first = frames[0]
        let nsub = first.nsub
        var real: [Float] = []     // (nrx, nsub)
        var imag: [Float] = []     // (nrx, nsub)
        real.reserveCapacity(frames.count * nsub)
        imag.reserveCapacity(frames.count * nsub)
        var rssi: [Int] = []
        for frame in frames {
            real.append(contentsOf: frame.real[0..<nsub])
            imag.append(contentsOf: frame.imag[0..<nsub])
            rssi.append(frame.rssi.first ?? 0)
        }
        var source = first.source
        source.core = nil
        return CSIFrame(timestamp: frames.map(\.timestamp).min() ?? first.timestamp, device: first.device,
                        source: source, sequence: first.sequence, rssi: rssi, noise: first.noise, agc: first.agc,
                        bandwidthMHz: first.bandwidthMHz, ntx: 1, nrx: frames.count, subcarriers: first.subcarriers,
                        real: real, imag: imag, extras: first.extras)
    }
}
