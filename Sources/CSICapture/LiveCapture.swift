/// A capture that runs on a thread of its own (libpcap on an interface, the Intel 5300 netlink connector) and
/// hands its frames over through one ``BoundedFrameQueue``: ``CaptureReader/nextFrame()`` takes the oldest
/// waiting frame, and a full queue drops its oldest frame (counted in ``queueCounters``).
public protocol LiveCapture: CaptureReader {
    /// Opens the device and starts the capture thread; throws ``CaptureError`` naming the device.
    func start() throws
    /// Stops the capture thread and closes the device.
    func stop()
    /// Why the capture ended by itself (device gone), `nil` while it runs.
    var failure: String? { get }
    /// The frame queue's counters (received, dropped, waiting, high water, capacity).
    var queueCounters: BoundedFrameQueue.Counters { get }
}
