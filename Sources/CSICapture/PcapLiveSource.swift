import CPcap
import Foundation

/// Live Nexmon CSI capture with libpcap on a network interface (csi-formats.md §2.1; swift-on-linux.md §1.3).
///
/// `start()` opens the interface in immediate mode with the BPF filter (default `udp dst port 5500`) and runs
/// `pcap_dispatch` on a dedicated `Thread`; `stop()` wakes it with `pcap_breakloop` and waits for it to end.
/// Frames reach the consumer through a ``BoundedFrameQueue`` (the oldest dropped when it is full) read with
/// ``nextFrame()`` / ``nextFrame(timeout:)``. Packets that are not Nexmon CSI are counted per
/// kind, as in ``NexmonPcapReader``.
public final class PcapLiveSource: LiveCapture, @unchecked Sendable {
    /// The interface name, e.g. `wlan0` or `lo`.
    public let interface: String
    /// The BPF filter expression.
    public let filter: String
    /// Payload -> frame.
    public let decoder: NexmonPayloadDecoder
    /// Only datagrams to this UDP port are decoded (`nil`: any).
    public let port: UInt16?
    /// Frames and issues shared with the capture thread.
    private let state: LiveCaptureState
    /// The activated libpcap handle while running.
    private var handle: OpaquePointer?
    /// Link layer -> UDP payload, set when started.
    private var dissector: UDPPacketDissector?
    /// Signalled by the capture thread when it ends.
    private let finished = DispatchSemaphore(value: 0)
    /// True between `start()` and `stop()`.
    public private(set) var isRunning = false
    /// Packets the capture thread has seen (capture thread only; read after `stop()`).
    public private(set) var packetCount = 0

    /// Counts of skipped packets per kind (thread-safe).
    public var issueCounts: [String: Int] { state.issueCounts }
    /// Called for every recoverable issue, on the capture thread.
    public var onIssue: (@Sendable (CaptureIssue) -> Void)? {
        get { state.issueHandler }
        set { state.issueHandler = newValue }
    }

    /// Prepares a capture; nothing is opened until `start()`. `queueCapacity` bounds the frames waiting for
    /// `nextFrame()` (when it is full the oldest is dropped and counted in ``queueCounters``).
    public init(interface: String, filter: String = "udp dst port 5500", decoder: NexmonPayloadDecoder = NexmonPayloadDecoder(),
                port: UInt16? = 5500, queueCapacity: Int = 4096) {
        self.interface = interface
        self.filter = filter
        self.decoder = decoder
        self.port = port
        self.state = LiveCaptureState(name: "live:\(interface)", capacity: queueCapacity)
    }

    deinit {
        stop()
    }

    /// Opens the interface and starts the capture thread, which queues the frames. Throws ``CaptureError`` naming
    /// the interface (e.g. missing CAP_NET_RAW, unknown interface, bad filter).
    public func start() throws {
        guard !isRunning else { return }
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        guard let pcap = pcap_create(interface, &errorBuffer) else {
            throw CaptureError(source: "live:\(interface)", reason: "pcap_create failed: \(Self.text(errorBuffer))")
        }
        pcap_set_snaplen(pcap, 65535)
        pcap_set_immediate_mode(pcap, 1)
        pcap_set_buffer_size(pcap, 4 << 20)
        let status = pcap_activate(pcap)
        if status < 0 {
            let message = String(cString: pcap_geterr(pcap))
            pcap_close(pcap)
            let hint = status == PCAP_ERROR_PERM_DENIED || message.contains("not permitted")
                ? " (needs root or CAP_NET_RAW)" : ""
            throw CaptureError(source: "live:\(interface)", reason: "cannot capture: \(message)\(hint)")
        }
        var program = bpf_program()
        guard pcap_compile(pcap, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            let message = String(cString: pcap_geterr(pcap))
            pcap_close(pcap)
            throw CaptureError(source: "live:\(interface)", reason: "bad capture filter '\(filter)': \(message)")
        }
        let filtered = pcap_setfilter(pcap, &program)
        pcap_freecode(&program)
        guard filtered == 0 else {
            let message = String(cString: pcap_geterr(pcap))
            pcap_close(pcap)
            throw CaptureError(source: "live:\(interface)", reason: "cannot set filter: \(message)")
        }
        let linkType = pcap_datalink(pcap)
        guard let dissector = UDPPacketDissector(linkType: linkType, destinationPort: port) else {
            pcap_close(pcap)
            throw CaptureError(source: "live:\(interface)",
                               reason: "unsupported link type \(linkType) on \(interface); capture on the managed interface (e.g. wlan0), not a monitor interface")
        }
        self.dissector = dissector
        self.handle = pcap
        isRunning = true
        let thread = Thread { [self] in captureLoop() }
        thread.name = "csihar-pcap-\(interface)"
        thread.start()
    }

    /// Stops the capture thread (`pcap_breakloop`), waits for it and closes the interface.
    public func stop() {
        guard isRunning, let handle else { return }
        pcap_breakloop(handle)
        finished.wait()
        pcap_close(handle)
        self.handle = nil
        isRunning = false
    }

    /// Why the capture ended by itself (e.g. the interface disappeared), `nil` while it runs. Frames queued before
    /// the failure can still be taken; after that, `stop()` and `start()` again (the daemon retries with backoff).
    public var failure: String? { state.failure }

    /// The frame queue's counters.
    public var queueCounters: BoundedFrameQueue.Counters { state.frames.counters }

    /// The oldest queued frame, or `nil` when none is waiting.
    public func nextFrame() throws -> CSIFrame? { state.frames.pop() }

    /// The oldest queued frame, waiting up to `timeout` seconds for one.
    public func nextFrame(timeout: Double) -> CSIFrame? { state.frames.pop(timeout: timeout) }

    /// The capture thread: dispatch packets until `pcap_breakloop` or an error.
    private func captureLoop() {
        guard let pcap = handle else {
            finished.signal()
            return
        }
        let context = Unmanaged.passUnretained(self).toOpaque()
        while true {
            let result = pcap_dispatch(pcap, -1, { user, header, bytes in
                guard let user, let header, let bytes else { return }
                let source = Unmanaged<PcapLiveSource>.fromOpaque(UnsafeRawPointer(user)).takeUnretainedValue()
                source.handle(header: header.pointee, bytes: bytes)
            }, context.assumingMemoryBound(to: UInt8.self))
            if result == PCAP_ERROR_BREAK { break }
            if result < 0 {
                let reason = String(cString: pcap_geterr(pcap))
                state.report(offset: 0, kind: "capture-error", reason: reason)
                state.fail(reason: "\(interface): \(reason)")
                break
            }
        }
        finished.signal()
    }

    /// Decodes one captured packet (capture thread).
    private func handle(header: pcap_pkthdr, bytes: UnsafePointer<UInt8>) {
        packetCount += 1
        guard let dissector else { return }
        let packet = UnsafeRawBufferPointer(start: bytes, count: Int(header.caplen))
        let timestamp = Double(header.ts.tv_sec) + Double(header.ts.tv_usec) * 1e-6
        switch dissector.payloadRange(in: packet, originalLength: Int(header.len)) {
        case .failure(let skip):
            state.report(offset: UInt64(packetCount), kind: skip.kind, reason: "packet \(packetCount): \(skip.reason)")
        case .success(let range):
            do {
                state.frames.push(try decoder.decode(UnsafeRawBufferPointer(rebasing: packet[range]), timestamp: timestamp))
            } catch let error as RecordDecodeError {
                state.report(offset: UInt64(packetCount), kind: error.kind, reason: "packet \(packetCount): \(error.reason)")
            } catch {
                state.report(offset: UInt64(packetCount), kind: "bad-record", reason: "packet \(packetCount): \(error)")
            }
        }
    }

    /// A NUL-terminated C buffer as text.
    private static func text(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
