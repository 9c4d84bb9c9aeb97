import CMosquitto
import CSIEvents
import Foundation
import NIOConcurrencyHelpers

/// One connection to a broker through libmosquitto, driven by a thread of its own (network I/O only; it never
/// calls into the pipeline). The thread connects (non-blocking), runs `mosquitto_loop`, and reconnects after a
/// failure with backoff (1 s doubling to `reconnectMaxSeconds`, back to 1 s once connected). While connected it
/// takes messages from its ``Feed`` and hands them to libmosquitto, at most ``maximumOutstanding`` not yet
/// written (QoS 0) or acknowledged (QoS 1) at a time, so libmosquitto's own queue stays small. A QoS 1 message
/// libmosquitto has taken is resent by it after a reconnection until the broker acknowledges it.
///
/// Every libmosquitto call on the handle happens on that thread (after setup in `init`); callbacks run there too.
public final class MosquittoClient: @unchecked Sendable {
    /// How to connect.
    public struct Options: Sendable {
        /// The broker.
        public var url: MQTTURL
        /// Client id.
        public var clientID: String
        /// Keep-alive, seconds.
        public var keepAliveSeconds = 30
        /// User name and password, if any.
        public var credentials: MQTTCredentials?
        /// TLS files (used with `mqtts://`).
        public var caFile: String?, certFile: String?, keyFile: String?
        /// The last will (sent by the broker when the connection dies without a DISCONNECT).
        public var will: MQTTMessage?
        /// Longest backoff between attempts, seconds.
        public var reconnectMaxSeconds = 30.0
        /// Clean session (no broker-side session kept across connections).
        public var cleanSession = true

        /// Creates options.
        public init(url: MQTTURL, clientID: String) {
            self.url = url
            self.clientID = clientID
        }
    }

    /// Where messages come from and what the client tells its owner.
    public struct Feed: Sendable {
        /// Called after each accepted connection (CONNACK 0), before any message is taken.
        public var connected: @Sendable () -> Void
        /// The next message to publish, or nil.
        public var next: @Sendable () -> MQTTMessage?
        /// A message that could not be handed over (the connection went away): it goes first again.
        public var putBack: @Sendable (MQTTMessage) -> Void
        /// Log lines (`mqtt: <url>: ...`): `true` for a warning, `false` for information.
        public var log: @Sendable (_ warning: Bool, _ line: String) -> Void

        /// Creates a feed.
        public init(connected: @escaping @Sendable () -> Void, next: @escaping @Sendable () -> MQTTMessage?,
                    putBack: @escaping @Sendable (MQTTMessage) -> Void,
                    log: @escaping @Sendable (_ warning: Bool, _ line: String) -> Void) {
            self.connected = connected
            self.next = next
            self.putBack = putBack
            self.log = log
        }
    }

    /// Why setting up the client failed (bad TLS files, out of memory).
    public struct SetupError: Error, Sendable, CustomStringConvertible {
        /// What failed.
        public var description: String
    }

    /// Counters, readable from any thread.
    public struct Counters: Sendable, Equatable {
        /// True while connected (CONNACK 0 received, connection not lost).
        public var connected = false
        /// Accepted connections since start.
        public var connections = 0
        /// Messages the broker took (QoS 1: acknowledged; QoS 0: written to the socket).
        public var sent = 0
        /// Messages handed to libmosquitto and not yet sent.
        public var outstanding = 0
        /// QoS 0 messages handed over but lost with a connection.
        public var lostQoS0 = 0
        /// The last problem, `nil` while all is well.
        public var lastError: String?
    }

    private struct State {
        var counters = Counters()
        var stop = false
        var drainDeadline = 0.0
        /// Message id -> QoS of what libmosquitto has and has not yet sent.
        var outstanding: [Int32: Int32] = [:]
        /// QoS 0 messages written inside `mosquitto_publish`, before their id was recorded.
        var early: Set<Int32> = []
        /// CONNACK refusal reported by the connect callback, for the loop's error line.
        var refusal: String?
    }

    /// The options.
    public let options: Options
    /// Most messages handed to libmosquitto and not yet sent.
    public let maximumOutstanding = 64
    private let feed: Feed
    private let handle: OpaquePointer
    private let state = NIOLockedValueBox(State())
    private let done = DispatchSemaphore(value: 0)
    private static let libraryInitialised: Bool = { mosquitto_lib_init() == MOSQ_ERR_SUCCESS.rawValue }()

    /// Sets up the handle (credentials, TLS, will, callbacks); nothing connects before ``start()``.
    public init(options: Options, feed: Feed) throws(SetupError) {
        _ = Self.libraryInitialised
        guard let handle = mosquitto_new(options.clientID, options.cleanSession, nil) else {
            throw SetupError(description: "mqtt: cannot create a client (\(String(cString: strerror(errno))))")
        }
        self.handle = handle
        self.options = options
        self.feed = feed
        func check(_ rc: Int32, _ what: String) throws(SetupError) {
            guard rc == MOSQ_ERR_SUCCESS.rawValue else {
                throw SetupError(description: "mqtt: \(options.url): \(what): \(Self.describe(rc))")
            }
        }
        if let credentials = options.credentials {
            try check(mosquitto_username_pw_set(handle, credentials.username, credentials.password), "credentials")
        }
        if options.url.tls {
            if options.caFile == nil {
                try check(mosquitto_int_option(handle, MOSQ_OPT_TLS_USE_OS_CERTS, 1), "system CA certificates")
            }
            // Without a CA file: the system's certificates (libmosquitto wants a CA file or directory either way).
            let caPath = options.caFile == nil ? "/etc/ssl/certs" : nil
            try check(mosquitto_tls_set(handle, options.caFile, caPath, options.certFile, options.keyFile, nil), "TLS files")
        }
        if let will = options.will {
            try check(will.payload.withUnsafeBytes {
                mosquitto_will_set(handle, will.topic, Int32($0.count), $0.baseAddress, will.qos, will.retain)
            }, "last will")
        }
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        mosquitto_connect_callback_set(handle) { _, userdata, rc in
            guard let userdata else { return }
            Unmanaged<MosquittoClient>.fromOpaque(userdata).takeUnretainedValue().didConnect(rc)
        }
        mosquitto_publish_callback_set(handle) { _, userdata, mid in
            guard let userdata else { return }
            Unmanaged<MosquittoClient>.fromOpaque(userdata).takeUnretainedValue().didPublish(mid)
        }
    }

    deinit { mosquitto_destroy(handle) }

    /// The counters now.
    public var counters: Counters { state.withLockedValue { $0.counters } }

    /// Starts the connection thread.
    public func start() {
        let thread = Thread { [self] in
            run()
            done.signal()
        }
        thread.name = "csihard-mqtt"
        thread.start()
    }

    /// Stops: while connected, keeps publishing until the feed is empty and every message is sent, or
    /// `drainSeconds` have passed; then disconnects cleanly (no last will) and waits for the thread (at most
    /// `drainSeconds` + 1 s).
    public func stop(drainSeconds: Double) {
        state.withLockedValue {
            $0.stop = true
            $0.drainDeadline = MonotonicClock.now() + drainSeconds
        }
        _ = done.wait(timeout: .now() + drainSeconds + 1)
    }

    private func run() {
        let url = options.url
        var backoff = 1.0
        var first = true
        var open = false
        var nextAttempt = 0.0
        var lastLogged: String?
        func fail(_ problem: String) {
            let wasConnected = state.withLockedValue { state in
                defer {
                    state.counters.connected = false
                    state.counters.lastError = problem
                    // QoS 0 messages libmosquitto had not written went with the connection.
                    let lost = state.outstanding.filter { $0.value == 0 }
                    state.counters.lostQoS0 += lost.count
                    for mid in lost.keys { state.outstanding[mid] = nil }
                    state.early.removeAll()
                    state.counters.outstanding = state.outstanding.count
                }
                return state.counters.connected
            }
            open = false
            nextAttempt = MonotonicClock.now() + backoff
            let line = "mqtt: \(url): \(problem)"
            if wasConnected || line != lastLogged {
                feed.log(true, line + "; retrying in \(Self.seconds(backoff)) s")
                lastLogged = line
            }
            backoff = min(backoff * 2, options.reconnectMaxSeconds)
        }
        while true {
            let (stop, deadline, connected) = state.withLockedValue { ($0.stop, $0.drainDeadline, $0.counters.connected) }
            if stop && (!connected || MonotonicClock.now() >= deadline || drained()) { break }
            if !open {
                if stop { break }
                if MonotonicClock.now() < nextAttempt { Thread.sleep(forTimeInterval: 0.05); continue }
                let rc = first ? mosquitto_connect_async(handle, url.host, Int32(url.port), Int32(options.keepAliveSeconds))
                    : mosquitto_reconnect_async(handle)
                if rc != MOSQ_ERR_SUCCESS.rawValue { fail("cannot connect: \(Self.describe(rc))"); continue }
                first = false
                open = true
            }
            let rc = mosquitto_loop(handle, 20, 1)
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                let refusal = state.withLockedValue { state in defer { state.refusal = nil }; return state.refusal }
                if let refusal { fail("connection refused: \(refusal)") } else {
                    fail(connected ? "connection lost: \(Self.describe(rc))" : "cannot connect: \(Self.describe(rc))")
                }
                continue
            }
            if state.withLockedValue({ $0.counters.connected }) {
                if lastLogged != "connected" { feed.log(false, "mqtt: \(url): connected as \(options.clientID)") }
                lastLogged = "connected"
                backoff = 1
                flush()
            }
        }
        if state.withLockedValue({ $0.counters.connected }) {
            mosquitto_disconnect(handle)
            // Let the DISCONNECT go out: at most 10 loop turns of 10 ms, stopping at the first that fails (closed).
            var turns = 0
            while turns < 10 && mosquitto_loop(handle, 10, 1) == MOSQ_ERR_SUCCESS.rawValue { turns += 1 }
        }
        state.withLockedValue { $0.counters.connected = false }
    }

    /// True when the feed is empty and nothing is outstanding (for the shutdown drain).
    private func drained() -> Bool {
        guard state.withLockedValue({ $0.outstanding.isEmpty }) else { return false }
        guard let message = feed.next() else { return true }
        feed.putBack(message)
        return false
    }

    /// Hands messages to libmosquitto while fewer than ``maximumOutstanding`` are unsent.
    private func flush() {
        while state.withLockedValue({ $0.outstanding.count < maximumOutstanding }), let message = feed.next() {
            var mid: Int32 = 0
            let rc = message.payload.withUnsafeBytes {
                mosquitto_publish(handle, &mid, message.topic, Int32($0.count), $0.baseAddress, message.qos, message.retain)
            }
            let lost = rc == MOSQ_ERR_NO_CONN.rawValue || rc == MOSQ_ERR_CONN_LOST.rawValue || rc == MOSQ_ERR_ERRNO.rawValue
            if rc == MOSQ_ERR_SUCCESS.rawValue || (lost && message.qos > 0) {
                // Taken (a QoS 1 message that could not be written yet stays in libmosquitto's queue and is sent
                // after the reconnection). A QoS 0 message may be written already: its callback came inside
                // mosquitto_publish, before its id was known here.
                state.withLockedValue { state in
                    if state.early.remove(mid) == nil { state.outstanding[mid] = message.qos }
                    state.counters.outstanding = state.outstanding.count
                }
                if lost { return }
            } else if lost {
                feed.putBack(message)
                return
            } else {
                feed.log(true, "mqtt: \(options.url): cannot publish to \(message.topic): \(Self.describe(rc)); message dropped")
            }
        }
    }

    private func didConnect(_ rc: Int32) {
        if rc == 0 {
            state.withLockedValue { state in
                state.counters.connected = true
                state.counters.connections += 1
                state.counters.lastError = nil
                state.refusal = nil
            }
            feed.connected()
        } else {
            let reason = String(cString: mosquitto_connack_string(rc)).lowercased()
                .replacingOccurrences(of: "connection refused: ", with: "").trimmingCharacters(in: CharacterSet(charactersIn: ". "))
            state.withLockedValue { $0.refusal = reason }
        }
    }

    private func didPublish(_ mid: Int32) {
        state.withLockedValue { state in
            if state.outstanding.removeValue(forKey: mid) == nil { state.early.insert(mid) }
            state.counters.sent += 1
            state.counters.outstanding = state.outstanding.count
        }
    }

    /// A libmosquitto error code in words (`errno`'s text for system errors).
    static func describe(_ rc: Int32) -> String {
        if rc == MOSQ_ERR_ERRNO.rawValue { return String(cString: strerror(errno)).lowercased() }
        return String(cString: mosquitto_strerror(rc)).lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ". "))
    }

    static func seconds(_ value: Double) -> String { value == value.rounded() ? String(Int(value)) : String(value) }
}
