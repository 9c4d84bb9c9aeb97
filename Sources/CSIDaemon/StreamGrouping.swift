import CSICapture

/// How the daemon assembles frames into streams (`pipeline.group`, `[[group]]`): which frames make one stream and
/// how its frames become whole measurements (``StreamAssembler``), the way `csihar evaluate` reads a capture.
///
/// * `transmitter` (default): one stream per capture source and transmitter, `source|aa:bb:cc:dd:ee:ff`. Nexmon
///   cores of one transmitter are joined into one multi-chain measurement per sequence number (spatial stream 0;
///   ``MeasurementAssembler``); a single-core chip stays 1 chain.
/// * `none`: one stream per source, transmitter, core and spatial stream (`.../coreN/ssM`), each 1 chain (the
///   behaviour before grouping existed).
/// * `[[group]] name = "hall", sources = ["replay:a.csv", "replay:b.csv"]`: frames of these sources (boards that
///   each see one antenna) are joined, per transmitter, into one measurement with one chain per source in list
///   order (``AntennaGrouper``, by sequence number or same-microsecond timestamp); the stream is
///   `group:hall|aa:bb:cc:dd:ee:ff` and its source `group:hall`.
public struct StreamGrouping: Sendable, Equatable {
    /// `pipeline.group`.
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        /// One stream per transmitter, Nexmon cores joined.
        case transmitter
        /// One stream per transmitter, core and spatial stream.
        case none
    }

    /// A `[[group]]` table: sources joined as boards of one receiver.
    public struct BoardGroup: Sendable, Equatable {
        /// `name` (the stream's source is `group:<name>`).
        public var name: String
        /// `sources`: capture source names (`replay:FILE`, `pcap:IFACE`, `netlink`), one chain each, in order.
        public var sources: [String]

        /// Creates a group.
        public init(name: String, sources: [String]) {
            self.name = name
            self.sources = sources
        }

        /// `group:<name>`.
        public var sourceName: String { "group:\(name)" }
    }

    /// The grouping configuration.
    public struct Config: Sendable, Equatable {
        /// `pipeline.group`.
        public var mode: Mode = .transmitter
        /// `[[group]]` tables.
        public var boards: [BoardGroup] = []

        /// The default: Nexmon cores of one transmitter grouped, no board groups.
        public init(mode: Mode = .transmitter, boards: [BoardGroup] = []) {
            self.mode = mode
            self.boards = boards
        }
    }

    /// Where a frame goes.
    public struct Placement: Sendable, Equatable {
        /// Stream key.
        public var key: String
        /// The stream's source (`group:<name>` for boards).
        public var source: String
        /// The `[[group]]` (index) the frame's source belongs to, if any.
        public var boardGroup: Int?
        /// The frame's chain in that group (its source's position in `sources`).
        public var boardChain: Int

        /// Creates a placement.
        public init(key: String, source: String, boardGroup: Int? = nil, boardChain: Int = 0) {
            self.key = key
            self.source = source
            self.boardGroup = boardGroup
            self.boardChain = boardChain
        }
    }

    /// The configuration.
    public let config: Config

    /// Creates a grouping.
    public init(config: Config) { self.config = config }

    /// The stream a frame of `source` belongs to.
    public func place(_ frame: CSIFrame, source: String) -> Placement {
        for (group, board) in config.boards.enumerated() {
            guard let chain = board.sources.firstIndex(of: source) else { continue }
            return Placement(key: board.sourceName + "|" + frame.source.transmitterString, source: board.sourceName,
                             boardGroup: group, boardChain: chain)
        }
        switch config.mode {
        case .transmitter: return Placement(key: source + "|" + frame.source.transmitterString, source: source)
        case .none: return Placement(key: source + "|" + frame.source.description, source: source)
        }
    }

    /// A new stream's assembler for a frame placed at `placement`.
    public func makeAssembler(for placement: Placement) -> StreamAssembler {
        if let group = placement.boardGroup { return StreamAssembler(boards: config.boards[group].sources.count) }
        return StreamAssembler(joinCores: config.mode == .transmitter)
    }

    /// The capture sources whose end or loss ends streams of `source` (a board group's members; else itself).
    public func streamSources(endedBy source: String) -> [String] {
        [source] + config.boards.filter { $0.sources.contains(source) }.map(\.sourceName)
    }
}
