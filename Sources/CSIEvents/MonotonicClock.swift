import Dispatch

/// The one monotonic clock of the daemon's threads (seconds since an arbitrary start, never going back, unaffected
/// by wall-clock steps): arrival times, latencies, rates, backoffs, uptime. Capture time comes from the frames and
/// wall time from the system clock; neither is read here.
public enum MonotonicClock {
    /// Seconds now.
    public static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
