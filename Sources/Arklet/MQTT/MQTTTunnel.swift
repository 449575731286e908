import Foundation
import Logging
import Synchronization

/// The controller's MQTT tunnel to its bases, on libmosquitto.
///
/// Subscribes on every connect to the seven wildcard report filters of its environment
/// (`koupleless_<env>/+/base/<kind>`) and routes by topic, so nothing is lost when the broker
/// restarts. Commands are published at QoS 1, never retained; each waits for the report that
/// answers it (matched by identity, command and biz key), is re-sent after
/// ``MQTTTunnelOptions/resendInterval`` and after every reconnect, and fails with
/// ``TunnelError/timeout(command:identity:)`` when its budget runs out. Stale, malformed and
/// oversized messages are dropped and counted in ``droppedMessages``.
///
/// Call ``run()`` in a task for the tunnel's lifetime (it returns when that task is cancelled,
/// after a bounded shutdown); commands issued before the connection is up are sent once it is.
public final class MQTTTunnel: Tunnel {
    public let kind = TunnelKind.mqtt
    public let events: AsyncStream<BaseEvent>
    public let supportsBatchInstall = false
    public var timeouts: CommandTimeouts { options.timeouts }
    /// Incoming messages dropped so far, by reason.
    public let droppedMessages = DroppedMessageCounter(tunnel: .mqtt)
    public let configuration: MQTTConfiguration
    public let options: MQTTTunnelOptions

    private let topics: ArkletTopics
    private let client: MosquittoClient
    private let decoder: MQTTInboundDecoder
    private let eventContinuation: AsyncStream<BaseEvent>.Continuation
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let state = Mutex(State())

    private struct State {
        enum Phase { case idle, running, finished }
        var phase = Phase.idle
        var pending = PendingCommands()
        /// Last baseline sent to each base, by biz URL (names T12 entries without `bizInfos`).
        var baselines: [BaseIdentity: [String: BizModel]] = [:]
        var nextConnectionWaiterID = 0
        var connectionWaiters: [Int: CheckedContinuation<Void, any Error>] = [:]
    }

    /// - Parameters:
    ///   - configuration: broker, credentials, TLS, `ENV`, `CLIENT_ID`.
    ///   - now: the wall clock used for envelope expiry (injected for tests).
    public init(configuration: MQTTConfiguration, options: MQTTTunnelOptions = MQTTTunnelOptions(),
                logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.configuration = configuration
        self.options = options
        var logger = logger
        logger[metadataKey: "tunnel"] = "mqtt"
        self.logger = logger
        self.now = now
        self.topics = configuration.topics
        self.decoder = MQTTInboundDecoder(topics: configuration.topics)
        (events, eventContinuation) = AsyncStream.makeStream(of: BaseEvent.self,
                                                             bufferingPolicy: .bufferingOldest(max(1, options.eventBufferSize)))
        let counter = droppedMessages
        client = MosquittoClient(
            options: .init(configuration: configuration, clientIdentifier: configuration.clientIdentifier,
                           subscriptions: configuration.topics.controllerSubscriptions),
            logger: logger,
            onEventBufferFull: { counter.record(.eventBufferFull) })
    }

    /// Commands awaiting an answer (diagnostics and tests).
    package var pendingCommandCount: Int { state.withLock { $0.pending.ids.count } }

    /// Whether the broker connection is up and subscribed.
    public var isConnected: Bool { client.isConnected }

    /// Same as ``isConnected``.
    public var isReady: Bool { client.isConnected }

    /// Runs the connection until the calling task is cancelled, then shuts down (bounded by
    /// ``MQTTTunnelOptions/shutdownTimeout``), fails pending commands with
    /// ``TunnelError/shutdown`` and finishes ``events``. Runs once.
    public func run() async throws(TunnelError) {
        let starts = state.withLock { state -> Bool in
            guard state.phase == .idle else { return false }
            state.phase = .running
            return true
        }
        guard starts else { throw .invalidRequest("MQTTTunnel.run() may only be called once") }
        logger.info("MQTT tunnel starting", metadata: [
            "broker": "\(configuration.broker):\(configuration.port)", "client": "\(configuration.clientIdentifier)",
            "env": "\(configuration.env)", "tls": "\(configuration.usesTLS)",
        ])
        client.start()
        for await event in client.events {
            handle(event)
        }
        await client.stop(timeout: options.shutdownTimeout)
        let (commands, connectionWaiters) = state.withLock { state in
            state.phase = .finished
            defer { state.connectionWaiters = [:] }
            return (state.pending.removeAll(), Array(state.connectionWaiters.values))
        }
        for waiter in commands { waiter.resume(throwing: TunnelError.shutdown) }
        for waiter in connectionWaiters { waiter.resume(throwing: TunnelError.shutdown) }
        eventContinuation.finish()
        logger.info("MQTT tunnel stopped")
        if let fatal = client.fatalError { throw .transport(fatal) }
    }

    /// Returns once connected and subscribed; throws ``TunnelError/notConnected`` after `timeout`.
    public func waitUntilConnected(timeout: Duration) async throws(TunnelError) {
        if client.isConnected { return }
        let id = state.withLock { state -> Int in
            defer { state.nextConnectionWaiterID += 1 }
            return state.nextConnectionWaiterID
        }
        let connected: Bool?
        do {
            connected = try await withDeadline(timeout) {
                try await self.awaitConnection(id: id)
                return true
            }
        } catch {
            throw Self.tunnelError(error)
        }
        guard connected != nil else { throw .notConnected }
    }

    // MARK: - Commands

    public func health(of identity: BaseIdentity, timeout: Duration) async throws(TunnelError) -> HealthReport {
        let answer = try await execute(.health, correlation: .health(identity), to: identity,
                                       payload: WireCoding.emptyObject, timeout: timeout)
        guard case .health(_, let report) = answer else { throw Self.unexpected(answer, .health, identity) }
        return report
    }

    public func queryAllBiz(of identity: BaseIdentity, timeout: Duration) async throws(TunnelError) -> BizListReport {
        let answer = try await execute(.queryAllBiz, correlation: .bizList(identity), to: identity,
                                       payload: WireCoding.emptyObject, timeout: timeout)
        guard case .bizList(_, let report) = answer else { throw Self.unexpected(answer, .queryAllBiz, identity) }
        return report
    }

    public func install(_ biz: BizModel, on identity: BaseIdentity, timeout: Duration) async throws(TunnelError) -> BizOperationOutcome {
        guard !biz.bizUrl.isEmpty else { throw .invalidRequest("install of \(biz.key) needs a bizUrl") }
        return try await operate(.installBiz, biz, on: identity, timeout: timeout)
    }

    public func uninstall(_ biz: BizModel, on identity: BaseIdentity, timeout: Duration) async throws(TunnelError) -> BizOperationOutcome {
        try await operate(.uninstallBiz, biz, on: identity, timeout: timeout)
    }

    /// Not available over MQTT: bases batch-install only in reaction to a baseline reply.
    public func batchInstall(_ bizzes: [BizModel], on identity: BaseIdentity, timeout: Duration) async throws(TunnelError) -> BatchInstallOutcome {
        throw .unsupported(command: .batchInstallBiz)
    }

    /// Publishes the baseline (T3, QoS 1, not retained) once connected; the base answers with a
    /// ``BaseEvent/batchInstallResult(_:_:)`` event.
    public func replyBaseline(_ bizzes: [BizModel], to identity: BaseIdentity, timeout: Duration) async throws(TunnelError) {
        let payload: [UInt8]
        do {
            payload = try WireCoding.encode(bizzes)
        } catch {
            throw .invalidRequest("baseline does not encode: \(error)")
        }
        state.withLock { state in
            state.baselines[identity] = Dictionary(bizzes.map { ($0.bizUrl, $0) }, uniquingKeysWith: { _, last in last })
        }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            try await waitUntilConnected(timeout: ContinuousClock.now.duration(to: deadline))
            do {
                try client.publish(topic: topics.baseline(for: identity), payload: payload, qos: 1, retain: false)
                logger.debug("baseline sent", metadata: ["vnode": "\(identity)", "count": "\(bizzes.count)"])
                return
            } catch {
                switch error {
                case .notConnected: continue
                case .rejected(_, let description): throw .transport(description)
                }
            }
        }
    }

    // MARK: - Incoming

    private func handle(_ event: MosquittoEvent) {
        switch event {
        case .ready:
            let waiters = state.withLock { state in
                defer { state.connectionWaiters = [:] }
                return Array(state.connectionWaiters.values)
            }
            for waiter in waiters { waiter.resume() }
            let pending = state.withLock { $0.pending.ids }
            if !pending.isEmpty { logger.debug("re-sending pending commands after connect", metadata: ["count": "\(pending.count)"]) }
            for id in pending { send(id) }
        case .connectFailed(let reason):
            logger.debug("MQTT connect attempt failed", metadata: ["reason": "\(reason)"])
        case .disconnected:
            break
        case .oversized(let topic, let size):
            droppedMessages.record(.oversized)
            logger.debug("dropped oversized message", metadata: ["topic": "\(topic)", "size": "\(size)"])
        case .message(let message):
            route(message)
        }
    }

    private func route(_ message: MQTTMessage) {
        let outcome = decoder.decode(topic: message.topic, payload: message.payload, now: now()) { identity in
            self.state.withLock { $0.baselines[identity] ?? [:] }
        }
        switch outcome {
        case .dropped(let reason, let detail):
            droppedMessages.record(reason)
            logger.debug("dropped message", metadata: ["reason": "\(reason.rawValue)", "detail": "\(detail)"])
        case .event(let event):
            TunnelMessageCounter.received(event, via: .mqtt)
            if case .dropped = eventContinuation.yield(event) { droppedMessages.record(.eventBufferFull) }
            let answered = state.withLock { $0.pending.resolve(with: event) }
            for waiter in answered { waiter.resume(returning: event) }
        }
    }

    // MARK: - Sending and waiting

    private func operate(_ command: ArkletCommand, _ biz: BizModel, on identity: BaseIdentity,
                         timeout: Duration) async throws(TunnelError) -> BizOperationOutcome {
        guard !biz.bizName.isEmpty, !biz.bizVersion.isEmpty else {
            throw .invalidRequest("\(command) needs bizName and bizVersion to correlate the result")
        }
        let payload: [UInt8]
        do {
            payload = try WireCoding.encode(biz)
        } catch {
            throw .invalidRequest("\(biz.key) does not encode: \(error)")
        }
        var logger = logger
        logger[metadataKey: "vnode"] = "\(identity)"
        logger[metadataKey: "biz"] = "\(biz.key)"
        logger[metadataKey: "command"] = "\(command)"
        logger.debug("sending biz operation")
        let answer = try await execute(command, correlation: .operation(identity, command, biz.key), to: identity,
                                       payload: payload, timeout: timeout)
        guard case .operationResult(_, let outcome) = answer else { throw Self.unexpected(answer, command, identity) }
        logger.debug("biz operation answered", metadata: ["code": "\(outcome.code)", "message": "\(outcome.summary)"])
        return outcome
    }

    /// Registers a waiter, publishes, re-sends periodically, and returns the answering event.
    private func execute(_ command: ArkletCommand, correlation: PendingCommands.Correlation, to identity: BaseIdentity,
                         payload: [UInt8], timeout: Duration) async throws(TunnelError) -> BaseEvent {
        let topic = topics.command(command, for: identity)
        let id = state.withLock { $0.pending.makeID() }
        let answer: BaseEvent?
        do {
            answer = try await withDeadline(timeout) {
                try await withThrowingTaskGroup(of: BaseEvent?.self) { group in
                    group.addTask {
                        try await self.awaitAnswer(id: id, correlation: correlation, topic: topic, payload: payload)
                    }
                    group.addTask {
                        try await self.resendPeriodically(id)
                        return nil
                    }
                    defer { group.cancelAll() }
                    while let next = try await group.next() {
                        if let event = next { return event }
                    }
                    throw CancellationError()
                }
            }
        } catch {
            throw Self.tunnelError(error)
        }
        guard let answer else {
            logger.debug("command timed out", metadata: ["vnode": "\(identity)", "command": "\(command)"])
            throw .timeout(command: command, identity: identity)
        }
        return answer
    }

    private func awaitAnswer(id: Int, correlation: PendingCommands.Correlation, topic: String, payload: [UInt8]) async throws -> BaseEvent {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<BaseEvent, any Error>) in
                let refusal = state.withLock { state -> (any Error)? in
                    if state.phase == .finished { return TunnelError.shutdown }
                    if Task.isCancelled { return CancellationError() }
                    state.pending.insert(.init(correlation: correlation, topic: topic, payload: payload,
                                               continuation: continuation), id: id)
                    return nil
                }
                if let refusal {
                    continuation.resume(throwing: refusal)
                } else {
                    send(id)
                }
            }
        } onCancel: {
            state.withLock { $0.pending.remove(id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    private func resendPeriodically(_ id: Int) async throws {
        while true {
            try await Task.sleep(for: options.resendInterval)
            logger.debug("re-sending unanswered command", metadata: ["id": "\(id)"])
            send(id)
        }
    }

    /// Publishes pending command `id` if connected; otherwise the next connect sends it.
    private func send(_ id: Int) {
        guard client.isConnected, let message = state.withLock({ $0.pending.beginSend(id) }) else { return }
        do {
            try client.publish(topic: message.topic, payload: message.payload, qos: 1, retain: false)
        } catch {
            state.withLock { $0.pending.cancelSend(id) }
            logger.debug("publish failed; will retry", metadata: ["topic": "\(message.topic)", "error": "\(error)"])
        }
    }

    private func awaitConnection(id: Int) async throws {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Bool, any Error> in
                    if state.phase == .finished { return .failure(TunnelError.shutdown) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if client.isConnected { return .success(true) }
                    state.connectionWaiters[id] = continuation
                    return .success(false)
                }
                switch outcome {
                case .failure(let error): continuation.resume(throwing: error)
                case .success(true): continuation.resume()
                case .success(false): break
                }
            }
        } onCancel: {
            state.withLock { $0.connectionWaiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    private static func tunnelError(_ error: any Error) -> TunnelError {
        switch error {
        case let error as TunnelError: error
        case is CancellationError: .cancelled
        default: .transport(String(describing: error))
        }
    }

    private static func unexpected(_ event: BaseEvent, _ command: ArkletCommand, _ identity: BaseIdentity) -> TunnelError {
        .malformedAnswer(command: command, identity: identity, detail: "unexpected answer \(event)")
    }
}
