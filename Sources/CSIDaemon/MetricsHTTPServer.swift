import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The Prometheus endpoint: a small HTTP/1.1 server on SwiftNIO (NIOHTTP1) that answers `GET /metrics` with the
/// text exposition (``MetricsHTTPHandler`` routes requests). Bounded: request headers of at most 16 KiB, bodies of
/// at most 1 KiB, 64 connections at once, and a connection idle for 30 s is closed.
///
/// ``bind(address:exposition:)`` listens at once, so that csihard can stop at startup with one line naming the
/// address and the reason when it cannot (``BindError``); ``run()`` then serves until graceful shutdown.
public final class MetricsHTTPServer: Service, Sendable {
    /// Why the endpoint could not listen: `cannot serve metrics on 127.0.0.1:9464: Address already in use`.
    public struct BindError: Error, Sendable, CustomStringConvertible {
        /// The one-line message.
        public var description: String
    }

    /// Counts the connections being served; refuses those beyond the limit.
    final class ConnectionLimit: Sendable {
        private let open = NIOLockedValueBox(0)
        let maximum: Int

        init(maximum: Int) { self.maximum = maximum }

        /// Takes a place; false when every place is taken.
        func admit() -> Bool {
            open.withLockedValue { open in
                guard open < maximum else { return false }
                open += 1
                return true
            }
        }

        /// Gives a place back.
        func release() { open.withLockedValue { $0 -= 1 } }
    }

    /// Connections served at once.
    public static let maximumConnections = 64
    /// Seconds a connection may stay idle before it is closed.
    public static let idleSeconds: Int64 = 30

    /// The address it was asked to listen on.
    public let address: MetricsListenAddress
    private let channel: any Channel

    private init(address: MetricsListenAddress, channel: any Channel) {
        self.address = address
        self.channel = channel
    }

    /// The TCP port it listens on (the one asked for, or the one the system chose for port 0).
    public var port: Int { channel.localAddress?.port ?? address.port }

    /// Listens on `address` (a numeric address; port 0 lets the system choose, for tests); `exposition` gives the
    /// text of each scrape. A connection must complete each request within `requestSeconds` of being accepted or
    /// of its previous answer, however slowly it sends bytes. Throws ``BindError`` with one line naming the address
    /// and the reason.
    public static func bind(address: MetricsListenAddress, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                            requestSeconds: Int64 = idleSeconds,
                            exposition: @escaping @Sendable () -> String) async throws(BindError) -> MetricsHTTPServer {
        let socketAddress: SocketAddress
        do {
            socketAddress = try SocketAddress(ipAddress: address.bindHost, port: address.port)
        } catch {
            throw BindError(description: "cannot serve metrics on \(address): not a numeric IP address")
        }
        let connections = ConnectionLimit(maximum: maximumConnections)
        let limits = {
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = 8 * 1024
            limits.maxHeaderListSize = 16 * 1024
            limits.maxHeaderFieldCount = 100
            return limits
        }()
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(IdleStateHandler(readTimeout: .seconds(idleSeconds)))
                    try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true,
                                                             withEncoderConfiguration: .init(),
                                                             withDecoderLimitConfiguration: limits)
                    try pipeline.addHandler(MetricsHTTPHandler(connections: connections, requestSeconds: requestSeconds,
                                                               exposition: exposition))
                }
            }
        do {
            let channel = try await bootstrap.bind(to: socketAddress).get()
            return MetricsHTTPServer(address: address, channel: channel)
        } catch let error as IOError {
            throw BindError(description: "cannot serve metrics on \(address): " + String(cString: strerror(error.errnoCode)))
        } catch {
            throw BindError(description: "cannot serve metrics on \(address): \(error)")
        }
    }

    /// Serves until graceful shutdown (or cancellation), then stops listening. Connections being served close
    /// with the process.
    public func run() async {
        try? await gracefulShutdown()
        await close()
    }

    /// Stops listening.
    public func close() async {
        try? await channel.close()
    }
}
