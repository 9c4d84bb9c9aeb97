/// The `[metrics]` table of `csihard.toml` (docs/metrics.md): where the Prometheus endpoint listens. Without
/// `metrics.listen` (and without `--metrics-listen`) there is no endpoint. A bad address stops startup with
/// `file:line: metrics.listen: 'TEXT': reason`.
extension DaemonConfigFile {
    /// `metrics.<key>` appliers.
    static let metricsKeys: [String: Apply] = [
        "metrics.listen": { settings, value throws(Rejected) in
            let text = try string(value)
            if text.isEmpty { settings.metricsListen = nil; return }
            do { settings.metricsListen = try MetricsListenAddress(parsing: text) } catch {
                throw Rejected(reason: "\(error)")
            }
        },
    ]
}
