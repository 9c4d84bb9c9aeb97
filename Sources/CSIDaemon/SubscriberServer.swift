import CSIEvents
import Foundation
import NIOConcurrencyHelpers
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Where the subscriber socket comes from.
public enum SocketBinding: Sendable {
    /// Bind this path (mode and optional group applied after bind; a live instance's socket is never removed).
    case path(String, mode: UInt16, group: String?)
    /// A listening descriptor passed by systemd (socket activation); systemd owns the file.
    case descriptor(Int32)
}

/// Serves NDJSON events on a Unix stream socket to any number of subscribers (SwiftNIO).
///
/// Per connection: a reader (request lines: filter or status; bounded length), a writer (the hub's bounded queue
/// to the socket, with `subscriber.gap` notices), and a graceful-shutdown watcher; the first to finish ends the
/// others and closes the connection, so a stalled subscriber cannot hold up shutdown.
///
/// Hostile peers: a request line longer than ``maximumRequestLength`` gets an error line and the connection is
/// closed (at most that many bytes plus one socket read are ever buffered); a malformed request gets an error
/// line and the connection stays open; a connection beyond ``maximumSubscribers``, or from a peer the
/// ``allowList`` rejects (`SO_PEERCRED`), gets one error line and is closed.
public struct SubscriberServer: Service {
    /// The event source.
    public let hub: EventHub
    /// The socket.
    public let binding: SocketBinding
    /// Longest request line accepted, bytes.
    public var maximumRequestLength = 4096
    /// Longest `calibration.install` request line accepted, bytes (it carries a classifier head).
    public var maximumCalibrationRequestLength = 262_144
    /// On shutdown, how long a subscriber may take to receive what is queued for it before it is disconnected.
    public var drainSeconds = 0.3
    /// Most subscribers served at once; further connections are refused with an error line.
    public var maximumSubscribers = 1024
    /// Peers allowed to subscribe (`nil`: anyone who can open the socket).
    public var allowList: PeerAllowList?
    /// Connections refused (limit or allow-list) and connections being served, shared by every copy.
    public let admission = Admission()
    /// Called once the socket is listening (sends READY=1).
    public var onListening: @Sendable () -> Void = {}
    /// JSON text for a `status` reply.
    public var status: @Sendable () -> String = { "{\"type\":\"status\"}" }
    /// Handles a calibration request; the closure receives each reply line (JSON, no newline), possibly later.
    public var calibrate: @Sendable (CalibrationRequest, @escaping @Sendable (String) -> Void) -> Void = { _, reply in
        reply(String(decoding: SubscriberRequest.errorLine("calibration is not available").dropLast(), as: UTF8.self))
    }
    /// Logger.
    public var logger: Logger

    /// Creates a server.
    public init(hub: EventHub, binding: SocketBinding, logger: Logger) {
        self.hub = hub
        self.binding = binding
        self.logger = logger
    }

    /// Accepts subscribers until graceful shutdown.
    public func run() async throws {
        // Accepted connections are handed over as plain channels with reading paused, and wrapped in
        // NIOAsyncChannel only by the task that serves them: a NIOAsyncChannel made in the child initializer and
        // dropped unserved (accepted just as shutdown closes the listener) would trap in NIO (swift-nio#2637).
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 128)
            .childChannelOption(.autoRead, value: false)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 16 * 1024, high: 64 * 1024))
        let initializer: @Sendable (Channel) -> EventLoopFuture<any Channel> = { channel in
            channel.eventLoop.makeSucceededFuture(channel)
        }
        let server: NIOAsyncChannel<any Channel, Never>
        var ownedPath: String?
        switch binding {
        case .path(let path, let mode, let group):
            try SocketPath.prepare(path)
            // Bound under a private staging name, given its mode and group, then linked into place: the socket is
            // never reachable at `path` with the default (umask) permissions, and link() refuses to replace a socket
            // that another instance published meanwhile.
            let staging = SocketPath.stagingPath(for: path)
            if let staging { unlink(staging) }
            do {
                server = try await bootstrap.bind(unixDomainSocketPath: staging ?? path, cleanupExistingSocketFile: false,
                                                  childChannelInitializer: initializer)
            } catch let error as IOError {
                throw SocketPath.Failure(description: "cannot listen on \(path): "
                                         + String(cString: strerror(error.errnoCode)) + SocketPath.hint(for: path))
            }
            do {
                try SocketPath.applyPermissions(path: staging ?? path, mode: mode, group: group)
                if let staging { try SocketPath.publish(staging, at: path) }
            } catch {
                if let staging { unlink(staging) } else { unlink(path) }
                try? await server.channel.close()
                throw error
            }
            ownedPath = path
        case .descriptor(let descriptor):
            server = try await bootstrap.bind(descriptor, childChannelInitializer: initializer)
        }
        logger.info("listening for subscribers", metadata: ["socket": "\(ownedPath ?? "fd")"])
        onListening()
        defer {
            if let ownedPath { unlink(ownedPath) }
        }
        do {
            try await server.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    // Graceful shutdown closes the listener; `inbound` then ends after handing over the connections
                    // already accepted (each is served and closed: dropping one unserved would trap in NIO).
                    group.addTask {
                        try? await gracefulShutdown()
                        server.channel.close(promise: nil)
                    }
                    for try await channel in inbound {
                        group.addTask { await serve(channel) }
                    }
                    // Listener closed: let the connections drain (each ends within `drainSeconds` of shutdown).
                    let deadline = ContinuousClock.now + .seconds(drainSeconds + 0.1)
                    while hub.subscriberCount > 0 && ContinuousClock.now < deadline {
                        try? await Task.sleep(for: .milliseconds(10))
                    }
                    group.cancelAll()
                }
            }
        } catch is CancellationError {
            // Shutdown: not an error (a rethrown CancellationError would crash the process at top level).
        }
    }

    /// Wraps an accepted channel for async use (line decoder, then reading switched on); `nil` if it already closed.
    private func wrap(_ channel: any Channel) async -> NIOAsyncChannel<ByteBuffer, ByteBuffer>? {
        let limit = maximumRequestLength, calibrationLimit = maximumCalibrationRequestLength
        do {
            return try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(
                    LineFrameDecoder(maximumLength: limit, calibrationLength: calibrationLimit)))
                let wrapped = try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                try? channel.syncOptions?.setOption(.autoRead, value: true)  // fails only once closed: inbound then ends
                return wrapped
            }.get()
        } catch {
            channel.close(promise: nil)
            return nil
        }
    }

    /// Counts connections being served and connections refused (thread-safe).
    public final class Admission: Sendable {
        private let state = NIOLockedValueBox((serving: 0, refused: 0))
        /// Creates zeroed counts.
        public init() {}
        /// Connections refused since start (subscriber limit or allow-list).
        public var refused: Int { state.withLockedValue { $0.refused } }
        /// Connections being served now.
        public var serving: Int { state.withLockedValue { $0.serving } }
        /// Takes a slot when fewer than `limit` are taken.
        func admit(limit: Int) -> Bool {
            state.withLockedValue { state in
                guard state.serving < limit else { state.refused += 1; return false }
                state.serving += 1
                return true
            }
        }
        func release() { state.withLockedValue { $0.serving -= 1 } }
        func refuse() { state.withLockedValue { $0.refused += 1 } }
    }

    /// The peer's uid and gid (`SO_PEERCRED`), or nil when the kernel does not say.
    private func peerCredentials(_ channel: any Channel) async -> (uid: UInt32, gid: UInt32)? {
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        let future: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET),
                                                                                       name: SocketOptionName(SO_PEERCRED))
        guard let credentials = try? await future.get() else { return nil }
        return (credentials.uid, credentials.gid)
    }

    /// `struct ucred` (pid, uid, gid: three 32-bit fields), which Glibc's module hides behind _GNU_SOURCE.
    private struct PeerCredentials: Sendable {
        var pid: Int32 = 0, uid: UInt32 = 0, gid: UInt32 = 0
    }

    /// Why `channel` may not subscribe, or nil (a slot is then taken; release it when done).
    private func refusal(for channel: any Channel) async -> String? {
        if let allowList {
            guard let peer = await peerCredentials(channel) else {
                admission.refuse()
                return "cannot read the peer's credentials (SO_PEERCRED); refusing"
            }
            guard allowList.allows(uid: peer.uid, gid: peer.gid) else {
                admission.refuse()
                logger.notice("subscriber refused by the allow-list", metadata: ["uid": "\(peer.uid)", "gid": "\(peer.gid)"])
                return "peer uid \(peer.uid) gid \(peer.gid) is not allowed to subscribe"
            }
        }
        guard admission.admit(limit: maximumSubscribers) else {
            logger.notice("subscriber refused: limit reached", metadata: ["limit": "\(maximumSubscribers)"])
            return "too many subscribers (limit \(maximumSubscribers)); try again later"
        }
        return nil
    }

    /// One subscriber, from connect to close.
    private func serve(_ channel: any Channel) async {
        guard let connection = await wrap(channel) else { return }
        if let refusal = await refusal(for: channel) {
            try? await connection.executeThenClose { _, outbound in
                try? await outbound.write(ByteBuffer(bytes: SubscriberRequest.errorLine(refusal)))
            }
            return
        }
        defer { admission.release() }
        let subscription = hub.subscribe()
        let id = subscription.id
        logger.debug("subscriber connected", metadata: ["subscriber": "\(id)"])
        defer {
            hub.unsubscribe(id)
            logger.debug("subscriber left", metadata: ["subscriber": "\(id)"])
        }
        // Calibration replies come from the pipeline thread, possibly much later (a baseline): written in order here.
        let (replies, replyQueue) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(64))
        defer { replyQueue.finish() }
        try? await connection.executeThenClose { inbound, outbound in
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        for try await line in inbound {
                            logger.trace("request line", metadata: ["subscriber": "\(id)", "bytes": "\(line.readableBytes)"])
                            await handleRequest(Array(line.readableBytesView), id: id, outbound: outbound, replies: replyQueue)
                        }
                    } catch let error as LineFrameDecoder.LineTooLong {
                        try? await outbound.write(ByteBuffer(bytes: SubscriberRequest.errorLine(error.description)))
                    } catch {}
                }
                group.addTask {
                    for await line in subscription.lines {
                        if Task.isCancelled { return }
                        let dropped = hub.takeDrops(for: id)
                        if dropped > 0 {
                            let notice = hub.encodeLine(Event(time: 0, wallTime: Date().timeIntervalSince1970, stream: nil,
                                                              payload: .gap(dropped: dropped)))
                            guard (try? await outbound.write(notice)) != nil else { return }
                        }
                        do {
                            try await outbound.write(line)
                        } catch {
                            logger.trace("write failed", metadata: ["subscriber": "\(id)", "error": "\(error)"])
                            return
                        }
                    }
                }
                group.addTask {
                    for await line in replies {
                        if Task.isCancelled { return }
                        guard (try? await outbound.write(ByteBuffer(string: line + "\n"))) != nil else { return }
                    }
                    // The queue ends only when the connection does: wait for the other tasks.
                    try? await Task.sleep(for: .seconds(86_400 * 365))
                }
                group.addTask {
                    try? await gracefulShutdown()
                    // Shutdown: finishing its queue lets the writer send what is queued and end; a subscriber that
                    // does not read is cut off after `drainSeconds`.
                    hub.finish(id)
                    try? await Task.sleep(for: .seconds(drainSeconds))
                }
                await group.next()
                group.cancelAll()
                hub.unsubscribe(id)
            }
        }
    }

    private func handleRequest(_ bytes: [UInt8], id: Int, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
                               replies: AsyncStream<String>.Continuation) async {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
        do {
            switch try SubscriberRequest.parse(bytes) {
            case .filter(let filter):
                hub.setFilter(filter, for: id)
            case .status:
                try? await outbound.write(ByteBuffer(string: status() + "\n"))
            case .calibration(let request):
                logger.info("calibration request", metadata: ["subscriber": "\(id)", "stream": "\(request.stream)"])
                calibrate(request) { line in replies.yield(line) }
            }
        } catch {
            try? await outbound.write(ByteBuffer(bytes: SubscriberRequest.errorLine("\(error)")))
        }
    }
}
