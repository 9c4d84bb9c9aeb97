import Foundation
import Testing
@testable import CSIDaemon

/// ``MetricsHTTPServer`` in-process on a port the system picks: the routes and status codes, keep-alive, bounded
/// requests, and the one-line bind failure.
@Suite(.serialized) struct MetricsHTTPServerTests {
    /// Runs `body(port)` off Swift's pool against a fresh server; returns what it returns (checked by the caller).
    private func withServer<T: Sendable>(exposition: String = "# HELP x_total X.\n# TYPE x_total counter\nx_total 42\n",
                                         _ body: @escaping @Sendable (Int) -> T) async throws -> T {
        let server = try await MetricsHTTPServer.bind(address: MetricsListenAddress(host: "127.0.0.1", port: 0)) {
            exposition
        }
        let port = server.port
        let result = try await offPool { body(port) }
        await server.close()
        return result
    }

    @Test func routesAndStatusCodes() async throws {
        let got = try await withServer { port in
            ["metrics": HTTPTestClient.get(port: port), "query": HTTPTestClient.get(port: port, path: "/metrics?name[]=x"),
             "index": HTTPTestClient.get(port: port, path: "/"), "sub": HTTPTestClient.get(port: port, path: "/metrics/x"),
             "favicon": HTTPTestClient.get(port: port, path: "/favicon.ico"), "post": HTTPTestClient.get(port: port, method: "POST"),
             "delete": HTTPTestClient.get(port: port, method: "DELETE"), "head": HTTPTestClient.get(port: port, method: "HEAD")]
        }
        let metrics = got["metrics"] ?? nil
        #expect(metrics?.status == 200)
        #expect(metrics?.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(metrics?.body == "# HELP x_total X.\n# TYPE x_total counter\nx_total 42\n")
        #expect(got["query"]??.status == 200, "a query string is ignored")
        #expect(got["index"]??.status == 200 && got["index"]??.body.contains("/metrics") == true)
        #expect(got["sub"]??.status == 404 && got["favicon"]??.status == 404)
        #expect(got["post"]??.status == 405 && got["post"]??.headers["allow"] == "GET, HEAD")
        #expect(got["delete"]??.status == 405)
        let head = got["head"] ?? nil
        #expect(head?.status == 200 && head?.body == "" && head?.headers["content-length"] == "52", "HEAD: the GET headers without the body")
    }

    @Test func keepAliveServesSeveralScrapesOnOneConnection() async throws {
        let (responses, closed) = try await withServer { port -> ([HTTPTestClient.Response], Bool) in
            let request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
            let responses = HTTPTestClient.exchange(port: port, request: request + request + request, responses: 3) ?? []
            // Connection: close is honoured: the server closes after its response.
            let descriptor = HTTPTestClient.connect(port: port, timeout: 3)
            defer { close(descriptor) }
            let bytes = Array("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)
            _ = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            var buffer = [UInt8](repeating: 0, count: 4096)
            var total = 0, count = 0
            repeat {
                count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                total += max(0, count)
            } while count > 0
            return (responses, total > 0 && count == 0)
        }
        #expect(responses.map(\.status) == [200, 200, 200])
        #expect(responses.allSatisfy { $0.headers["connection"] == "keep-alive" && $0.body.hasSuffix("x_total 42\n") })
        #expect(closed, "Connection: close ends the connection after the response")
    }

    @Test func aClientTricklingHeadersIsClosedAtTheRequestDeadline() async throws {
        // One header byte every 0.2 s keeps resetting the idle timeout; the 1 s request deadline still closes it.
        let server = try await MetricsHTTPServer.bind(address: MetricsListenAddress(host: "127.0.0.1", port: 0),
                                                      requestSeconds: 1) { "x_total 1\n" }
        let port = server.port
        let (closedAfter, answered) = try await offPool { () -> (Double?, Int) in
            // A prompt request on a keep-alive connection is answered, twice (the deadline restarts per request).
            let request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
            let answered = HTTPTestClient.exchange(port: port, request: request + request, responses: 2)?.count ?? 0
            let descriptor = HTTPTestClient.connect(port: port, timeout: 0.1)
            defer { close(descriptor) }
            let start = Date()
            for byte in Array("GET /metrics HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".utf8) {
                var value = byte
                if send(descriptor, &value, 1, Int32(MSG_NOSIGNAL)) < 0 { return (Date().timeIntervalSince(start), answered) }
                var probe: UInt8 = 0
                let got = recv(descriptor, &probe, 1, 0)      // 0.1 s timeout: -1 while open, 0 once closed
                if got == 0 { return (Date().timeIntervalSince(start), answered) }
                if Date().timeIntervalSince(start) > 6 { break }
                Thread.sleep(forTimeInterval: 0.1)
            }
            return (nil, answered)
        }
        await server.close()
        print("trickling client closed after \(closedAfter.map { String(format: "%.2f", $0) } ?? "never") s; prompt requests answered \(answered)")
        #expect(answered == 2)
        #expect(closedAfter != nil && closedAfter! < 3, "closed at the 1 s request deadline")
    }

    @Test func aClientThatNeverReadsIsDisconnectedNotBuffered() async throws {
        // 400 pipelined scrapes of a 200 KB exposition (80 MB of answers) from a client that reads nothing for a
        // while: the server must stop answering and close once its outbound buffer is full, not queue them all.
        let exposition = String(repeating: "x_total 42\n", count: 200_000 / 11)
        let (received, closed) = try await withServer(exposition: exposition) { port -> (Int, Bool) in
            let descriptor = HTTPTestClient.connect(port: port, timeout: 10)
            defer { close(descriptor) }
            let request = Array(String(repeating: "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", count: 400).utf8)
            _ = request.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            Thread.sleep(forTimeInterval: 1)
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            var total = 0, count = 0
            repeat {
                count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                total += max(0, count)
            } while count > 0
            // closed: an orderly end, or a reset (the server closed with unread requests in its buffer); a receive
            // timeout (EAGAIN) means the connection stayed open
            return (total, count == 0 || errno == ECONNRESET)
        }
        print("client that never reads: \(received) bytes received of \(400 * exposition.utf8.count) requested, closed \(closed)")
        #expect(closed, "the server closed the connection")
        #expect(received < 100 * exposition.utf8.count, "answers stopped once the buffer was full")
    }

    @Test func oversizedRequestsAreRefusedAndStillServing() async throws {
        let got = try await withServer { port -> [Int?] in
            let body = String(repeating: "x", count: 4096)
            let big = HTTPTestClient.exchange(port: port, request: "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n" + body)
            let header = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Long: " + String(repeating: "a", count: 20_000) + "\r\n\r\n"
            let long = HTTPTestClient.exchange(port: port, request: header)
            let garbage = HTTPTestClient.exchange(port: port, request: "\u{1}\u{2} nonsense\r\n\r\n")
            // A client that goes away mid-request, and one that connects and leaves.
            let partial = HTTPTestClient.connect(port: port)
            _ = Array("GET /met".utf8).withUnsafeBytes { send(partial, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(partial)
            close(HTTPTestClient.connect(port: port))
            return [big?.first?.status, long?.first?.status, garbage?.first?.status, HTTPTestClient.get(port: port)?.status]
        }
        #expect(got[0] == 413, "a body over 1 KiB")
        #expect(got[1] == 400 || got[1] == 431 || got[1] == nil, "a header past the limit is refused: \(got)")
        #expect(got[2] == 400 || got[2] == nil, "garbage: \(got)")
        #expect(got[3] == 200, "still serving after hostile requests")
    }

    @Test func connectionsBeyondTheLimitAreClosedAtOnce() async throws {
        let got = try await withServer { port -> (beyond: Int, after: Int?) in
            let held = (0..<MetricsHTTPServer.maximumConnections).map { _ in HTTPTestClient.connect(port: port) }
            Thread.sleep(forTimeInterval: 0.2)   // every one accepted and counted
            let extra = HTTPTestClient.connect(port: port, timeout: 2)
            var byte: UInt8 = 0
            let beyond = recv(extra, &byte, 1, 0)   // 0: closed by the server; -1: still open (timed out)
            close(extra)
            for descriptor in held { close(descriptor) }
            Thread.sleep(forTimeInterval: 0.2)
            return (beyond, HTTPTestClient.get(port: port)?.status)
        }
        #expect(got.beyond == 0, "the connection past the limit is closed")
        #expect(got.after == 200, "places are given back when connections close")
    }

    @Test func aBusyPortFailsWithOneLine() async throws {
        let port = HTTPTestClient.freePort()
        let busy = HTTPTestClient.listen(port: port)
        defer { close(busy) }
        #expect(busy >= 0)
        do {
            let server = try await MetricsHTTPServer.bind(address: MetricsListenAddress(host: "127.0.0.1", port: port)) { "" }
            await server.close()
            Issue.record("bound a busy port")
        } catch {
            #expect(error.description == "cannot serve metrics on 127.0.0.1:\(port): Address already in use")
        }
    }
}
