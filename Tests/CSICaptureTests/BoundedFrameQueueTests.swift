import Foundation
import Testing
@testable import CSICapture

/// The one live frame queue: drop-oldest, counters, a waiting consumer woken by a push.
struct BoundedFrameQueueTests {
    @Test func fullQueueDropsTheOldestAndCountsEverything() {
        let queue = BoundedFrameQueue(capacity: 3)
        var dropped = 0
        for index in 0..<5 where queue.push(CaptureStatisticsTests.frame(Double(index), sequence: index)) { dropped += 1 }
        let counters = queue.counters
        #expect(dropped == 2)
        #expect(counters.received == 5 && counters.dropped == 2 && counters.waiting == 3
                && counters.highWater == 3 && counters.capacity == 3)
        // the newest three remain, oldest first
        let left = (0..<4).compactMap { _ in queue.pop()?.sequence }
        #expect(left == [2, 3, 4])
        #expect(queue.counters.waiting == 0 && queue.counters.highWater == 3)
        // the ring wraps and keeps order
        for index in 10..<12 { queue.push(CaptureStatisticsTests.frame(Double(index), sequence: index)) }
        #expect(queue.pop()?.sequence == 10 && queue.pop()?.sequence == 11 && queue.pop() == nil)
    }

    @Test func aWaitingConsumerGetsTheNextFrameOrTimesOut() {
        let queue = BoundedFrameQueue(capacity: 8)
        let start = Date()
        #expect(queue.pop(timeout: 0.05) == nil)
        #expect(Date().timeIntervalSince(start) >= 0.04, "waited for the timeout")
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 0.05)
            queue.push(CaptureStatisticsTests.frame(1, sequence: 7))
        }
        #expect(queue.pop(timeout: 5)?.sequence == 7)
    }
}
