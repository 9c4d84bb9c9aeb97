import CSIEvents

/// Settings of the pipeline core (everything between frames and events).
public struct PipelineConfig: Sendable, Equatable {
    /// Seconds between windows of a stream (rounded to whole model steps).
    public var hopSeconds: Double = 0.2
    /// Most windows classified in one batch.
    public var maxBatch: Int = 64
    /// A stream with no frame for this many seconds (monotonic clock) goes `stream.down`.
    public var silenceSeconds: Double = 5
    /// Smoother settings (labels are replaced by the model's).
    public var smoother: SmootherConfig = SmootherConfig(labels: [])
    /// The `[smoother]` keys a config file set (`fall_peak_confidence`, ...): these win over the values a model file
    /// declares for its streams (``ModelSmootherDefaults``); the others take the model's value when it has one.
    public var configuredSmootherKeys: Set<String> = []
    /// Publish a `prediction` event per window (only encoded when a subscriber asked for them).
    public var predictions: Bool = true
    /// How frames are assembled into streams (`pipeline.group`, `[[group]]`); applies from startup only.
    public var grouping = StreamGrouping.Config()
    /// Capture seconds over which a stream's measurement rate is measured before it is routed (when the route
    /// depends on the rate; at most ``RateProbe/maximumMeasurements`` are held meanwhile).
    public var rateProbeSeconds: Double = 2

    /// Creates the defaults.
    public init() {}
}
