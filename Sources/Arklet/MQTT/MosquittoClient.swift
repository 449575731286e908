import CMosquitto
import Dispatch
import Foundation
import Logging
import Synchronization

/// A long-lived MQTT client on libmosquitto, for the controller tunnel and for simulated bases.
///
/// One dedicated network `Thread` owns the connection; Swift's cooperative pool never blocks on
/// libmosquitto. The thread runs its own connect loop with jittered exponential back-off (it does
/// not use libmosquitto's reconnect, which has known hangs), uses a fresh `mosquitto *` for every
/// connection (libmosquitto instances are unreliable after a disconnect), and subscribes to every
/// filter of ``Options/subscriptions`` at QoS 1 on **every** connect (clean session). It emits
/// ``MosquittoEvent/ready`` once all subscriptions are acknowledged.
///
/// ``publish(topic:payload:qos:retain:)`` may be called from any thread; it only queues the
/// message (threaded mode), and refuses when not connected so that callers keep control of
/// re-sending. ``stop(timeout:)`` is bounded: if the network thread is stuck in a blocking
/// connect it is abandoned (it exits when the connect returns).
package final class MosquittoClient: Sendable {
    /// What to connect to and how.
    package struct Options: Sendable {
        package var configuration: MQTTConfiguration
        /// The MQTT client id (`<prefix>@@@<id>`).
        package var clientIdentifier: String
        /// Filters subscribed (QoS 1) after every connect.
        package var subscriptions: [String]
        /// Uniform random numbers in `0..<1` for back-off jitter.
        package var random: @Sendable () -> Double

        package init(configuration: MQTTConfiguration, clientIdentifier: String, subscriptions: [String],
                     random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
            self.configuration = configuration
            self.clientIdentifier = clientIdentifier
            self.subscriptions = subscriptions
            self.random = random
        }
    }

    /// Connection events and messages. Single consumer; finished when the client stops.
    package let events: AsyncStream<MosquittoEvent>

    private let options: Options
    private let logger: Logger
    private let callbacks: MosquittoCallbacks
    /// The live connection's handle, shared with publishers; `nil` between connections.
    private let handle = Mutex<ConnectionHandle?>(nil)
    private let connected = Atomic<Bool>(false)
    private let lifecycle = Mutex(Lifecycle())
    /// Wakes the network thread from a back-off wait when stopping.
    private let wakeup = DispatchSemaphore(value: 0)

    /// `mosquitto_loop` select timeout: bounds how late the thread notices a stop request or a
    /// CONNACK deadline.
    private static let loopTimeoutMilliseconds: Int32 = 250

    /// A `mosquitto *` for one connection, shared with publishing threads.
    ///
    /// `@unchecked Sendable` is safe because: (1) with `mosquitto_threaded_set(true)` libmosquitto
    /// guards its outgoing queues with its own mutexes, so `mosquitto_publish` and
    /// `mosquitto_disconnect` may be called from any thread while the network thread runs
    /// `mosquitto_loop` (the documented `loop_start` usage); (2) other threads only reach the
    /// pointer inside `handle.withLock`, and the network thread clears `handle` under that lock
    /// before it calls `mosquitto_destroy`, so no thread can use a destroyed instance.
    private struct ConnectionHandle: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    private struct Lifecycle {
        var started = false
        var stopRequested = false
        var exited = false
        var fatalError: String?
        var nextWaiterID = 0
        var exitWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }

    package init(options: Options, logger: Logger, onEventBufferFull: @escaping @Sendable () -> Void = {}) {
        self.options = options
        var logger = logger
        logger[metadataKey: "tunnel"] = "mqtt"
        self.logger = logger
        let (stream, continuation) = AsyncStream.makeStream(of: MosquittoEvent.self, bufferingPolicy: .bufferingOldest(50_000))
        self.events = stream
        self.callbacks = MosquittoCallbacks(continuation: continuation,
                                            maxPayloadBytes: options.configuration.maxPayloadBytes,
                                            onBufferFull: onEventBufferFull)
    }

    /// Whether a connection is up with all subscriptions acknowledged.
    package var isConnected: Bool { connected.load(ordering: .acquiring) }

    /// A configuration problem that made the client give up (e.g. unreadable TLS files).
    package var fatalError: String? { lifecycle.withLock { $0.fatalError } }

    /// Starts the network thread (once).
    package func start() {
        let shouldStart = lifecycle.withLock { state -> Bool in
            guard !state.started, !state.stopRequested else { return false }
            state.started = true
            return true
        }
        guard shouldStart else { return }
        let thread = Thread { [self] in
            self.runNetworkLoop()
        }
        thread.name = "mqtt-\(options.clientIdentifier)"
        thread.start()
    }

    /// Queues a message for the broker. Never retained unless asked; QoS 1 by default.
    package func publish(topic: String, payload: [UInt8], qos: Int32 = 1, retain: Bool = false) throws(MosquittoPublishError) {
        try handle.withLock { (current: inout ConnectionHandle?) throws(MosquittoPublishError) -> Void in
            guard let current, connected.load(ordering: .acquiring) else { throw .notConnected }
            let code = payload.withUnsafeBytes { bytes in
                mosquitto_publish(current.pointer, nil, topic, Int32(bytes.count), bytes.baseAddress, qos, retain)
            }
            guard code == MOSQ_ERR_SUCCESS.rawValue else {
                throw .rejected(code: code, description: MosquittoLibrary.describe(code))
            }
        }
    }

    /// Disconnects and waits (at most `timeout`) for the network thread to finish. Returns
    /// whether it finished in time. The event stream is finished either way.
    @discardableResult
    package func stop(timeout: Duration = .seconds(3)) async -> Bool {
        let started = lifecycle.withLock { state -> Bool in
            state.stopRequested = true
            return state.started
        }
        guard started else {
            callbacks.finish()
            return true
        }
        wakeup.signal()
        // Wakes the thread out of select() at once; safe from any thread in threaded mode.
        handle.withLock { current in
            if let current { _ = mosquitto_disconnect(current.pointer) }
        }
        // Stopping usually happens because the caller was cancelled; an unstructured task keeps
        // that cancellation from cutting the bounded wait short.
        let finished = await Task {
            await withTaskGroup(of: Bool.self) { group in
                group.addTask {
                    await self.waitForExit()
                    return true
                }
                group.addTask {
                    try? await Task.sleep(for: timeout)
                    return false
                }
                let first = await group.next() ?? false
                group.cancelAll()
                return first
            }
        }.value
        if !finished {
            logger.warning("MQTT network thread did not stop in time; abandoning it",
                           metadata: ["client": "\(options.clientIdentifier)"])
            callbacks.finish()
        }
        return finished
    }

    // MARK: - Network thread

    private var stopRequested: Bool { lifecycle.withLock { $0.stopRequested } }

    private func runNetworkLoop() {
        MosquittoLibrary.ensureInitialised()
        var failures = 0
        while !stopRequested {
            switch runOneConnection() {
            case .wasReady:
                failures = 0
            case .failed:
                break
            case .fatal(let reason):
                logger.error("MQTT client gave up", metadata: ["reason": "\(reason)"])
                lifecycle.withLock { $0.fatalError = reason }
                finishThread()
                return
            }
            if stopRequested { break }
            failures += 1
            let delay = options.configuration.reconnectBackoff.delay(afterFailures: failures, random: options.random())
            logger.debug("MQTT reconnecting", metadata: ["delay": "\(delay)", "failures": "\(failures)"])
            _ = wakeup.wait(timeout: .now() + .nanoseconds(Int(delay.nanoseconds)))
        }
        finishThread()
    }

    private func finishThread() {
        connected.store(false, ordering: .releasing)
        callbacks.finish()
        let waiters = lifecycle.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.exited = true
            defer { state.exitWaiters = [:] }
            return Array(state.exitWaiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    private enum ConnectionEnd {
        case wasReady
        case failed
        case fatal(String)
    }

    private enum Phase {
        case awaitingConnack
        case subscribing(pending: Set<Int32>)
        case ready
    }

    /// One connection lifetime on a fresh `mosquitto *`: connect, subscribe, pump until it ends.
    private func runOneConnection() -> ConnectionEnd {
        let configuration = options.configuration
        guard let pointer = mosquitto_new(options.clientIdentifier, true, nil) else {
            return .fatal("mosquitto_new failed")
        }
        defer {
            connected.store(false, ordering: .releasing)
            handle.withLock { $0 = nil }
            // No publisher can reach `pointer` any more.
            mosquitto_destroy(pointer)
        }
        callbacks.install(on: pointer)
        callbacks.acknowledgements.withLock { $0 = .init() }
        mosquitto_threaded_set(pointer, true)
        _ = mosquitto_int_option(pointer, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311)
        // Commands and answers are small and latency-bound: without TCP_NODELAY, Nagle's algorithm
        // and delayed ACKs hold a small publish for tens of milliseconds per exchange.
        _ = mosquitto_int_option(pointer, MOSQ_OPT_TCP_NODELAY, 1)
        if let problem = configureSecurity(pointer) { return .fatal(problem) }

        let keepAlive = Int32(clamping: max(5, configuration.keepAlive.components.seconds))
        let connectCode = mosquitto_connect(pointer, configuration.broker, Int32(clamping: configuration.port), keepAlive)
        guard connectCode == MOSQ_ERR_SUCCESS.rawValue else {
            let reason = connectCode == MOSQ_ERR_ERRNO.rawValue
                ? String(cString: strerror(errno)) : MosquittoLibrary.describe(connectCode)
            callbacks.emit(.connectFailed(reason))
            return .failed
        }
        handle.withLock { $0 = ConnectionHandle(pointer: pointer) }

        let deadline = ContinuousClock.now.advanced(by: configuration.connectTimeout)
        var phase = Phase.awaitingConnack
        while !stopRequested {
            let code = mosquitto_loop(pointer, Self.loopTimeoutMilliseconds, 1)
            if code != MOSQ_ERR_SUCCESS.rawValue {
                let reason = MosquittoLibrary.describe(code)
                if case .ready = phase {
                    connected.store(false, ordering: .releasing)
                    logger.info("MQTT connection lost", metadata: ["reason": "\(reason)"])
                    callbacks.emit(.disconnected(reason))
                    return .wasReady
                }
                callbacks.emit(.connectFailed(reason))
                return .failed
            }
            let (connack, subacks) = callbacks.acknowledgements.withLock { acks in
                defer { acks = .init() }
                return (acks.connack, acks.subacks)
            }
            switch phase {
            case .awaitingConnack:
                if let connack {
                    guard connack == 0 else {
                        callbacks.emit(.connectFailed("refused: \(MosquittoLibrary.describeConnack(connack))"))
                        _ = mosquitto_disconnect(pointer)
                        return .failed
                    }
                    guard let pending = subscribeAll(pointer) else {
                        _ = mosquitto_disconnect(pointer)
                        return .failed
                    }
                    phase = .subscribing(pending: pending)
                } else if ContinuousClock.now >= deadline {
                    callbacks.emit(.connectFailed("no CONNACK within \(configuration.connectTimeout)"))
                    _ = mosquitto_disconnect(pointer)
                    return .failed
                }
            case .subscribing(var pending):
                for (mid, granted) in subacks where pending.remove(mid) != nil {
                    if granted.contains(where: { $0 < 0 || $0 > 2 }) {
                        logger.error("MQTT broker refused a subscription", metadata: ["mid": "\(mid)"])
                    }
                }
                if pending.isEmpty {
                    phase = .ready
                    connected.store(true, ordering: .releasing)
                    logger.info("MQTT connected", metadata: ["broker": "\(configuration.broker):\(configuration.port)"])
                    callbacks.emit(.ready)
                } else if ContinuousClock.now >= deadline {
                    callbacks.emit(.connectFailed("no SUBACK within \(configuration.connectTimeout)"))
                    _ = mosquitto_disconnect(pointer)
                    return .failed
                } else {
                    phase = .subscribing(pending: pending)
                }
            case .ready:
                break
            }
        }
        // Stop requested: say goodbye and give the DISCONNECT a moment to leave.
        connected.store(false, ordering: .releasing)
        _ = mosquitto_disconnect(pointer)
        for _ in 0..<4 where mosquitto_loop(pointer, 50, 1) == MOSQ_ERR_SUCCESS.rawValue {}
        if case .ready = phase { return .wasReady }
        return .failed
    }

    /// Subscribes to every filter at QoS 1; returns the message ids to await, or `nil` on failure.
    private func subscribeAll(_ pointer: OpaquePointer) -> Set<Int32>? {
        var pending = Set<Int32>()
        for filter in options.subscriptions {
            var mid: Int32 = 0
            let code = mosquitto_subscribe(pointer, &mid, filter, 1)
            guard code == MOSQ_ERR_SUCCESS.rawValue else {
                callbacks.emit(.connectFailed("subscribe \(filter): \(MosquittoLibrary.describe(code))"))
                return nil
            }
            pending.insert(mid)
        }
        return pending
    }

    /// Credentials and TLS. TLS verifies the broker against the CA (never insecure).
    private func configureSecurity(_ pointer: OpaquePointer) -> String? {
        let configuration = options.configuration
        if !configuration.username.isEmpty {
            let password = configuration.password.isEmpty ? nil : configuration.password
            let code = mosquitto_username_pw_set(pointer, configuration.username, password)
            if code != MOSQ_ERR_SUCCESS.rawValue { return "username/password: \(MosquittoLibrary.describe(code))" }
        }
        guard configuration.usesTLS else { return nil }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: configuration.caPath, isDirectory: &isDirectory) else {
            return "MQTT_CA_PATH \(configuration.caPath) does not exist"
        }
        let caFile = isDirectory.boolValue ? nil : configuration.caPath
        let caDirectory = isDirectory.boolValue ? configuration.caPath : nil
        let certificate = configuration.clientCertificatePath.isEmpty ? nil : configuration.clientCertificatePath
        let key = configuration.clientKeyPath.isEmpty ? nil : configuration.clientKeyPath
        if (certificate == nil) != (key == nil) {
            return "MQTT_CLIENT_CRT_PATH and MQTT_CLIENT_KEY_PATH must be set together"
        }
        var code = mosquitto_tls_set(pointer, caFile, caDirectory, certificate, key, nil)
        if code != MOSQ_ERR_SUCCESS.rawValue { return "TLS setup: \(MosquittoLibrary.describe(code))" }
        code = mosquitto_tls_insecure_set(pointer, false)
        if code != MOSQ_ERR_SUCCESS.rawValue { return "TLS verification: \(MosquittoLibrary.describe(code))" }
        return nil
    }

    // MARK: - Waiting for the thread

    private func waitForExit() async {
        let id = lifecycle.withLock { state -> Int in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = lifecycle.withLock { state -> Bool in
                    if state.exited || Task.isCancelled { return true }
                    state.exitWaiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            lifecycle.withLock { $0.exitWaiters.removeValue(forKey: id) }?.resume()
        }
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled + attoseconds / 1_000_000_000
    }
}
