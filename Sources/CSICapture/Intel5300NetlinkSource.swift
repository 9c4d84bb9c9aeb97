import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Live Intel 5300 CSI from the CSI Tool driver's netlink connector socket (csi-formats.md §1.1).
///
/// Each datagram holds `nlmsghdr` (16 bytes) + `cn_msg` (20 bytes: idx, val, seq, ack, len u16, flags u16, host
/// order) + `len` bytes starting with the record code. `start()` opens `socket(PF_NETLINK, SOCK_DGRAM,
/// NETLINK_CONNECTOR)`, binds to the connector group `CN_NETLINK_USERS + 0xf` and joins it, then receives on a
/// dedicated thread that polls so `stop()` can end it. Frames get the host receive time as timestamp (the NIC's
/// `timestamp_low` stays in `extras`). Needs the patched iwlwifi driver; without it nothing arrives.
public final class Intel5300NetlinkSource: LiveCapture, @unchecked Sendable {
    /// `CN_NETLINK_USERS` of the running kernel: 11 on current kernels, 10 on older ones.
    public let connectorUsers: UInt32
    /// Frames and issues shared with the receive thread.
    private let state: LiveCaptureState
    /// The socket while running, else -1.
    private var descriptor: Int32 = -1
    /// Set by `stop()`, read by the receive thread.
    private let stopRequested = NSCondition()
    private var stopping = false
    /// Signalled when the receive thread ends.
    private let finished = DispatchSemaphore(value: 0)
    /// True between `start()` and `stop()`.
    public private(set) var isRunning = false

    /// Size of `struct nlmsghdr`.
    public static let netlinkHeaderSize = 16
    /// Size of `struct cn_msg` without its data.
    public static let connectorHeaderSize = 20
    /// `NETLINK_CONNECTOR` protocol number.
    static let netlinkConnector: Int32 = 11
    /// `SOL_NETLINK` and `NETLINK_ADD_MEMBERSHIP`.
    static let solNetlink: Int32 = 270, addMembership: Int32 = 1

    /// Counts of skipped or faulty messages per kind (thread-safe).
    public var issueCounts: [String: Int] { state.issueCounts }
    /// Called for every recoverable issue, on the receive thread.
    public var onIssue: (@Sendable (CaptureIssue) -> Void)? {
        get { state.issueHandler }
        set { state.issueHandler = newValue }
    }

    /// Prepares the source; nothing is opened until `start()`.
    public init(connectorUsers: UInt32 = 11, queueCapacity: Int = 4096) {
        self.connectorUsers = connectorUsers
        self.state = LiveCaptureState(name: "netlink:iwl5300", capacity: queueCapacity)
    }

    deinit { stop() }

    /// The record messages (each starting at the code byte) inside one netlink datagram.
    /// Throws ``RecordDecodeError`` when a header or length is inconsistent with the datagram size.
    public static func messages(inDatagram datagram: [UInt8]) throws -> [[UInt8]] {
        var result: [[UInt8]] = []
        var offset = 0
        while offset + netlinkHeaderSize <= datagram.count {
            let length = Int(datagram.loadHostUInt32(at: offset))
            guard length >= netlinkHeaderSize + connectorHeaderSize, offset + length <= datagram.count else {
                throw RecordDecodeError(kind: "bad-netlink", reason: "nlmsg length \(length) at \(offset) does not fit the \(datagram.count)-byte datagram")
            }
            let connector = offset + netlinkHeaderSize
            let dataLength = Int(datagram.loadHostUInt16(at: connector + 16))
            guard dataLength >= 1, connector + connectorHeaderSize + dataLength <= offset + length else {
                throw RecordDecodeError(kind: "bad-netlink", reason: "cn_msg length \(dataLength) exceeds the nlmsg of \(length) bytes")
            }
            let start = connector + connectorHeaderSize
            result.append(Array(datagram[start..<(start + dataLength)]))
            offset += (length + 3) & ~3   // NLMSG_ALIGN
        }
        if result.isEmpty {
            throw RecordDecodeError(kind: "bad-netlink", reason: "datagram of \(datagram.count) bytes holds no netlink message")
        }
        return result
    }

    /// Decodes the CSI frames of one datagram (non-CSI codes are counted as `skipped-code`), stamped `hostTime`.
    func decode(datagram: [UInt8], hostTime: Double, ordinal: UInt64) {
        do {
            for message in try Self.messages(inDatagram: datagram) {
                if var frame = try Intel5300Decoder.decodeMessage(message) {
                    frame.timestamp = hostTime
                    state.frames.push(frame)
                } else {
                    state.report(offset: ordinal, kind: "skipped-code",
                                 reason: "netlink record code 0x\(String(message[0], radix: 16)) is not CSI")
                }
            }
        } catch let error as RecordDecodeError {
            state.report(offset: ordinal, kind: error.kind, reason: "datagram \(ordinal): \(error.reason)")
        } catch {
            state.report(offset: ordinal, kind: "bad-record", reason: "datagram \(ordinal): \(error)")
        }
    }

    /// Decodes datagrams handed in directly (tests, relays); frames go to the queue.
    public func feed(datagram: [UInt8], hostTime: Double) {
        decode(datagram: datagram, hostTime: hostTime, ordinal: 0)
    }

    /// Opens and joins the connector group and starts the receive thread, which queues the frames. Throws ``CaptureError`` (e.g. not root, no netlink).
    public func start() throws {
        guard !isRunning else { return }
        let fd = socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue), Self.netlinkConnector)
        guard fd >= 0 else {
            throw CaptureError(source: "netlink:iwl5300", reason: "cannot open the netlink connector socket: \(String(cString: strerror(errno)))")
        }
        var group = connectorUsers + 0xF
        // struct sockaddr_nl { sa_family_t nl_family; unsigned short nl_pad; u32 nl_pid; u32 nl_groups; } (12 bytes)
        var address = [UInt8](repeating: 0, count: 12)
        address.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: sa_family_t(AF_NETLINK), toByteOffset: 0, as: sa_family_t.self)
            raw.storeBytes(of: group, toByteOffset: 8, as: UInt32.self)
        }
        let bound = address.withUnsafeBytes { raw in
            bind(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        guard bound == 0, setsockopt(fd, Self.solNetlink, Self.addMembership, &group, socklen_t(MemoryLayout<UInt32>.size)) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw CaptureError(source: "netlink:iwl5300", reason: "cannot join connector group \(group): \(message) (needs root and the CSI Tool driver)")
        }
        descriptor = fd
        stopping = false
        isRunning = true
        let thread = Thread { [self] in receiveLoop(fd) }
        thread.name = "csihar-netlink"
        thread.start()
    }

    /// Stops the receive thread and closes the socket.
    public func stop() {
        guard isRunning else { return }
        stopRequested.lock(); stopping = true; stopRequested.unlock()
        finished.wait()
        close(descriptor)
        descriptor = -1
        isRunning = false
    }

    /// Why the receive thread ended by itself: always `nil` (the connector socket outlives driver reloads).
    public var failure: String? { nil }

    /// The frame queue's counters.
    public var queueCounters: BoundedFrameQueue.Counters { state.frames.counters }

    /// The oldest queued frame, or `nil` when none is waiting.
    public func nextFrame() throws -> CSIFrame? { state.frames.pop() }

    /// The oldest queued frame, waiting up to `timeout` seconds for one.
    public func nextFrame(timeout: Double) -> CSIFrame? { state.frames.pop(timeout: timeout) }

    /// The receive thread: poll with a short timeout so `stop()` is noticed, receive, decode.
    private func receiveLoop(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 8192)   // one datagram (CSI records are < 600 bytes)
        var ordinal: UInt64 = 0
        while true {
            stopRequested.lock(); let done = stopping; stopRequested.unlock()
            if done { break }
            var request = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&request, 1, 100) > 0 else { continue }
            let received = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard received > 0 else { continue }
            ordinal += 1
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            decode(datagram: Array(buffer[0..<received]), hostTime: Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9,
                   ordinal: ordinal)
        }
        finished.signal()
    }
}

extension Array where Element == UInt8 {
    /// A host-order u32 at `offset` (requires 4 bytes).
    fileprivate func loadHostUInt32(at offset: Int) -> UInt32 {
        withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt32.self) }
    }

    /// A host-order u16 at `offset` (requires 2 bytes).
    fileprivate func loadHostUInt16(at offset: Int) -> UInt16 {
        withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: UInt16.self) }
    }
}
