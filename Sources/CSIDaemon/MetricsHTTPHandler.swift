import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// One HTTP/1.1 connection of the metrics endpoint (``MetricsHTTPServer``), after NIO's request decoder:
/// `GET /metrics` (or `HEAD`) is the exposition, `GET /` a one-line pointer to it, any other method on those paths
/// 405 (with `Allow: GET, HEAD`), any other path 404. A request body over ``maximumBodyBytes`` gets 413 and the
/// connection is closed; keep-alive is honoured otherwise (Prometheus keeps its connection). Each request must be
/// complete within `requestSeconds` of the connection's start or of the previous answer: a client that trickles
/// header bytes cannot hold one of the server's few connections for ever (the idle timeout resets on every byte).
final class MetricsHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Largest request body read (a scrape has none), bytes.
    static let maximumBodyBytes = 1024
    /// What `GET /` answers.
    static let indexText = "csihard: Prometheus metrics at /metrics\n"

    /// The exposition text (called on the event loop, once per scrape).
    private let exposition: @Sendable () -> String
    /// Connections open now, shared by every connection of the server.
    private let connections: MetricsHTTPServer.ConnectionLimit
    private var admitted = false
    /// The request being read, and its body bytes so far; nil once answered (a refused body) or between requests.
    private var request: HTTPRequestHead?
    private var bodyBytes = 0
    private var refused = false
    /// Time allowed for each request, and the close waiting for the one being read.
    private let requestSeconds: Int64
    private var deadline: Scheduled<Void>?

    init(connections: MetricsHTTPServer.ConnectionLimit, requestSeconds: Int64, exposition: @escaping @Sendable () -> String) {
        self.connections = connections
        self.requestSeconds = requestSeconds
        self.exposition = exposition
    }

    /// Starts the time allowed for the next request.
    private func armDeadline(context: ChannelHandlerContext) {
        deadline?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: .seconds(requestSeconds)) { loopBound.value.close(promise: nil) }
    }

    func channelActive(context: ChannelHandlerContext) {
        admitted = connections.admit()
        if !admitted {
            context.close(promise: nil)
            return
        }
        armDeadline(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if admitted { connections.release(); admitted = false }
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
            bodyBytes = 0
        case .body(let buffer):
            bodyBytes += buffer.readableBytes
            if bodyBytes > Self.maximumBodyBytes, let head = request {
                refused = true
                respond(context: context, head: head, status: .payloadTooLarge, body: "request body too large\n", close: true)
            }
        case .end:
            guard let head = request else { return }
            request = nil
            answer(context: context, head: head)
            if head.isKeepAlive && context.channel.isActive { armDeadline(context: context) }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)   // a connection idle past the read timeout
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// Routes one complete request. A client that sends requests without reading the answers (pipelined scrapes
    /// piling up in the outbound buffer past its high-water mark) is disconnected instead of answered, so that such
    /// a client cannot make the daemon hold one exposition per request.
    private func answer(context: ChannelHandlerContext, head: HTTPRequestHead) {
        guard context.channel.isWritable else {
            context.close(promise: nil)
            return
        }
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let close = !head.isKeepAlive
        guard path == "/metrics" || path == "/" else {
            respond(context: context, head: head, status: .notFound, body: "not found: GET /metrics\n", close: close)
            return
        }
        guard head.method == .GET || head.method == .HEAD else {
            respond(context: context, head: head, status: .methodNotAllowed, body: "method not allowed: GET /metrics\n",
                    close: close, extraHeaders: [("Allow", "GET, HEAD")])
            return
        }
        if path == "/" {
            respond(context: context, head: head, status: .ok, body: Self.indexText, close: close)
        } else {
            respond(context: context, head: head, status: .ok, body: exposition(), close: close,
                    contentType: PrometheusExposition.contentType)
        }
    }

    /// Writes a whole response (no body for HEAD), closing the connection afterwards when `close`.
    private func respond(context: ChannelHandlerContext, head request: HTTPRequestHead, status: HTTPResponseStatus,
                         body: String, close: Bool, contentType: String = "text/plain; charset=utf-8",
                         extraHeaders: [(String, String)] = []) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        headers.add(name: "Connection", value: close ? "close" : "keep-alive")
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        let head = HTTPResponseHead(version: request.version.major == 1 ? request.version : .http1_1, status: status,
                                    headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if request.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        }
        let written = context.writeAndFlushWithPromise(wrapOutboundOut(.end(nil)))
        if close {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.whenComplete { _ in loopBound.value.close(promise: nil) }
        }
    }
}

extension ChannelHandlerContext {
    /// `writeAndFlush` returning its future.
    fileprivate func writeAndFlushWithPromise(_ data: NIOAny) -> EventLoopFuture<Void> {
        let promise = eventLoop.makePromise(of: Void.self)
        writeAndFlush(data, promise: promise)
        return promise.futureResult
    }
}
