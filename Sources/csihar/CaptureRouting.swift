import CSICapture
import CSIDaemon
import Foundation

/// The model csihard would route a capture to (``ModelRouter``): the capture's first frames go through a
/// ``DaemonPipeline`` with the daemon's routes and grouping until its first stream is routed; `csihar evaluate`
/// without `--model` then scores with that model.
enum CaptureRouting {
    /// The model file of the route csihard chooses for the first stream of `capture`; throws the stream's
    /// `no-model` / `rate-too-low` message when none fits.
    static func modelPath(for capture: String, settings: DaemonSettings,
                          searchPath: ModelSearchPath = .standard(configPath: nil),
                          warn: (String) -> Void = { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) }) throws -> String {
        if let path = settings.modelPath { return searchPath.resolveOrKeep(path) }
        let router = try ModelLoader.router(settings: settings, searchPath: searchPath, warn: warn)
        guard !router.isEmpty else {
            throw CommandFailure("no --model given and none of the daemon's routed models is installed "
                                 + "(run from the repository root, or pass --model FILE)")
        }
        final class Sink { var problem: String? }
        let sink = Sink()
        let pipeline = DaemonPipeline(config: settings.pipeline, router: router, monotonic: { 0 }, wallClock: { 0 }) { event in
            if case .streamError(let kind, let message) = event.payload, kind == "no-model" || kind == "rate-too-low" {
                sink.problem = sink.problem ?? "\(capture): \(kind): \(message)"
            }
        }
        let source = "replay:\(capture)"
        let reader = try CaptureFile.open(path: capture, options: CaptureOptions(follow: false))
        while let frame = try reader.nextFrame() {
            pipeline.ingest(frame, source: source)
            if let label = pipeline.streamSnapshots().first?.route { return try path(of: label, in: router, problem: sink.problem) }
        }
        pipeline.sourceEnded(source, reason: "source-ended")
        throw CommandFailure(sink.problem ?? "\(capture): no stream could be routed (too few frames)")
    }

    /// The model file of route `label` (as found along the search path).
    private static func path(of label: String, in router: ModelRouter, problem: String?) throws -> String {
        guard let route = router.routes.first(where: { $0.label == label }) else {
            throw CommandFailure(problem ?? "no model fits (\(label))")
        }
        return route.file
    }
}
