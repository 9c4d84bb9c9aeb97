extension DaemonPipeline {
    /// Where one radio link's frames go: its placement, and its live stream once known (valid while the pipeline's
    /// stream table has not changed since; cleared when that stream goes down or a reload replaces it). Cached per
    /// link, so that a frame finds its stream with one dictionary lookup.
    final class Route {
        /// The link's placement.
        let placement: StreamGrouping.Placement
        /// The live stream of `placement.key` when `generation` was current, `nil` until a frame looks it up.
        var stream: Stream?
        /// The pipeline's stream-table generation at which `stream` was looked up.
        var generation = -1

        /// A route with no stream looked up yet.
        init(placement: StreamGrouping.Placement) { self.placement = placement }
    }
}
