import CurlHTTP
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// The controller's HTTP tunnel to its bases (reference §2).
///
/// **Listener** (``run()``, default `0.0.0.0:7777`): `POST /heartbeat` takes an unwrapped
/// ``BaseStatus``, records the base's arklet address (`localIP`, `port`; 1238 when the port is
/// missing or 0) and yields ``BaseEvent/heartbeat(_:_:via:)``; `POST /queryBaseline` takes a
/// ``BaseMetadata``, yields ``BaseEvent/baselineQuery(_:_:)`` and answers with the controller's
/// baseline (see below). Answers are upstream's: `200 SUCCESS`, `405` with an empty body for other
/// methods, `400` with the decoding error's text, `404` for other paths. Optionally (contract §7) a
/// heartbeat must come from its own `localIP` and peers must lie in allowed CIDR blocks; refusals
/// are `403`, logged and counted in ``refusals``.
///
/// **Baseline answers.** A base's `/queryBaseline` is answered within the same HTTP request, so
/// the controller answers in one of two ways:
/// - a provider closure set with ``setBaselineProvider(_:)`` is asked directly (recommended);
/// - otherwise the request waits for ``replyBaseline(_:to:timeout:)`` for that base, which the
///   controller calls on the ``BaseEvent/baselineQuery(_:_:)`` event exactly as for MQTT.
///
/// Either way the answer is `[]` after ``HTTPTunnelOptions/baselineAnswerTimeout``. A
/// ``replyBaseline(_:to:timeout:)`` with no query waiting does nothing (real arklets never ask;
/// HTTP bases get their bizzes from installs).
///
/// **Commands** go to `http://<ip>:<port>/<command>` through ``ArkletHTTPClient``: the address
/// is the one of the base's last heartbeat, or one registered with ``setAddress(_:for:)``. Results
/// are returned *and* yielded as events. ``run()`` is not needed for commands.
public final class HTTPTunnel: Tunnel {
    /// Answers a base's `/queryBaseline` with the bizzes it should run.
    public typealias BaselineProvider = @Sendable (BaseMetadata) async -> [BizModel]

    public let kind = TunnelKind.http
    public let events: AsyncStream<BaseEvent>
    public let supportsBatchInstall = true
    public var timeouts: CommandTimeouts { options.timeouts }
    /// Listener requests not turned into events (malformed, invalid identity, oversized, event
    /// buffer full), by reason.
    public let droppedMessages = DroppedMessageCounter(tunnel: .http)
    /// Listener requests refused by the source-address or CIDR checks, by reason.
    public let refusals = HTTPRefusalCounter()
    public let options: HTTPTunnelOptions

    let client: ArkletHTTPClient
    let addresses = ArkletAddressBook()
    let baselineQueries = PendingBaselineQueries()
    let logger: Logger
    private let baselineProvider = Mutex<BaselineProvider?>(nil)
    private let readiness = ListenerReadiness()
    private let phase = Mutex(Phase.idle)
    private let eventContinuation: AsyncStream<BaseEvent>.Continuation

    private enum Phase { case idle, running, finished }

    /// - Parameters:
    ///   - transport: how arklet commands are sent (``CurlArkletTransport`` in production).
    ///   - now: the clock stamping command results.
    public init(options: HTTPTunnelOptions = HTTPTunnelOptions(), transport: any ArkletHTTPTransport, logger: Logger,
                now: @escaping @Sendable () -> Date = { Date() }) {
        self.options = options
        var logger = logger
        logger[metadataKey: "tunnel"] = "http"
        self.logger = logger
        self.client = ArkletHTTPClient(transport: transport, now: now)
        (events, eventContinuation) = AsyncStream.makeStream(of: BaseEvent.self,
                                                             bufferingPolicy: .bufferingOldest(max(1, options.eventBufferSize)))
    }

    /// A tunnel sending commands over libcurl (``CurlArkletTransport``).
    public convenience init(options: HTTPTunnelOptions = HTTPTunnelOptions(), connectTimeout: Duration = .seconds(5),
                            logger: Logger) {
        let transport = CurlArkletTransport(client: CurlHTTPClient(logger: logger), connectTimeout: connectTimeout)
        self.init(options: options, transport: transport, logger: logger)
    }

    // MARK: - Listener lifecycle

    /// Whether the listener has bound its port.
    public var isReady: Bool { readiness.port != nil }

    /// The port the listener is bound to, while it is.
    public var port: Int? { readiness.port }

    /// Returns the bound port once the listener is up; throws ``TunnelError/notConnected`` when it
    /// failed to start or `timeout` passed.
    public func waitUntilListening(timeout: Duration) async throws(TunnelError) -> Int {
        do {
            return try await readiness.waitUntilListening(timeout: timeout)
        } catch is CancellationError {
            throw .cancelled
        } catch {
            logger.debug("HTTP tunnel not listening", metadata: ["reason": "\(error)"])
            throw .notConnected
        }
    }

    /// Serves the listener until the calling task is cancelled, then stops listening, answers
    /// waiting baseline queries with `[]` and finishes ``events``. Runs once. Throws
    /// ``TunnelError/transport(_:)`` when the port cannot be bound.
    ///
    /// Shutdown is graceful and bounded: new connections are refused at once, baseline queries
    /// waiting for ``replyBaseline(_:to:timeout:)`` are answered `[]`, other requests in progress
    /// are answered, and whatever is still running after ``HTTPTunnelOptions/shutdownGracePeriod``
    /// is cancelled.
    ///
    /// Commands already in flight are not cancelled (they belong to their callers' tasks); their
    /// results are no longer yielded as events, and new commands fail with ``TunnelError/shutdown``.
    public func run() async throws(TunnelError) {
        let starts = phase.withLock { phase -> Bool in
            guard phase == .idle else { return false }
            phase = .running
            return true
        }
        guard starts else { throw .invalidRequest("HTTPTunnel.run() may only be called once") }
        let endpoint = "\(options.host):\(options.port)"
        logger.info("HTTP tunnel starting", metadata: [
            "listen": "\(endpoint)", "sourceAddressCheck": "\(options.requireSourceAddressMatch)",
            "allowedCIDRs": "\(options.allowedCIDRs.map(\.description).joined(separator: ","))",
        ])
        let failure = await serve(endpoint: endpoint)
        readiness.failed(failure?.description ?? "the HTTP tunnel is shut down")
        phase.withLock { $0 = .finished }
        baselineQueries.close()
        eventContinuation.finish()
        logger.info("HTTP tunnel stopped")
        if let failure { throw failure }
    }

    /// Runs the Hummingbird server until cancelled, then drains it; returns why it stopped early,
    /// if it did.
    private func serve(endpoint: String) async -> TunnelError? {
        let readiness = self.readiness
        let logger = self.logger
        let responder = CallbackResponder<PeerAddressRequestContext> { [self] request, context in
            await respond(to: request, context: context)
        }
        // Hummingbird logs the cancellation that stops it as an error; requests are logged by
        // the tunnel itself, so the server's own logger only passes critical messages.
        var serverLogger = logger
        serverLogger.logLevel = .critical
        let application = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname(options.host, port: options.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("HTTP tunnel listening", metadata: ["port": "\(port)"])
                readiness.listening(on: port)
            },
            logger: serverLogger)
        var configuration = ServiceGroupConfiguration(services: [application], logger: serverLogger)
        configuration.maximumGracefulShutdownDuration = options.shutdownGracePeriod
        let serviceGroup = ServiceGroup(configuration: configuration)
        let (ended, endedContinuation) = AsyncStream.makeStream(of: Void.self)
        // Unstructured on purpose: a child task would inherit our cancellation, and cancelling the
        // server drops the answers of requests in progress; we turn cancellation into a graceful
        // shutdown instead. The task never outlives this function, which always awaits it.
        let server = Task {
            defer { endedContinuation.finish() }
            try await serviceGroup.run()
        }
        // Returns when the server ends by itself or when our task is cancelled.
        for await _ in ended {}
        let cancelled = Task.isCancelled
        if cancelled {
            logger.info("HTTP tunnel draining", metadata: ["gracePeriod": "\(options.shutdownGracePeriod)"])
            baselineQueries.close()
            await serviceGroup.triggerGracefulShutdown()
        }
        switch await server.result {
        case .success:
            return cancelled ? nil : .transport("HTTP tunnel listener on \(endpoint) stopped unexpectedly")
        case .failure(let error):
            if cancelled { return nil }
            logger.error("HTTP tunnel listener failed", metadata: ["listen": "\(endpoint)", "error": "\(error)"])
            return .transport("HTTP tunnel cannot listen on \(endpoint): \(error)")
        }
    }

    // MARK: - Addresses and baseline

    /// Registers where the arklet of `identity` listens, for a base known without a heartbeat
    /// (a vnode taken over from the Node: its IP and `base.koupleless.io/tunnel-port`, 1238 when
    /// absent). The next heartbeat of that base overwrites it.
    public func setAddress(_ address: ArkletAddress, for identity: BaseIdentity) {
        addresses.set(address, for: identity)
        logger.debug("arklet address registered", metadata: ["vnode": "\(identity)", "address": "\(address)"])
    }

    /// Registers the Node's address of a base not heard from yet (after a takeover), replacing one
    /// learnt from an older version of the Node; the address of a heartbeat (or of
    /// ``setAddress(_:for:)``) is never overwritten. A missing or unusable port means the arklet's
    /// default, 1238.
    public func learnAddress(host: String, port: Int?, for identity: BaseIdentity) {
        guard !host.isEmpty else { return }
        let usable = port.flatMap { (1...65535).contains($0) ? $0 : nil } ?? ArkletAddress.defaultPort
        let address = ArkletAddress(host: host, port: usable)
        if addresses.learn(address, for: identity) {
            logger.debug("arklet address learnt from the node", metadata: ["vnode": "\(identity)", "address": "\(address)"])
        }
    }

    /// Where commands to `identity` go; `nil` before its first heartbeat or ``setAddress(_:for:)``.
    public func address(of identity: BaseIdentity) -> ArkletAddress? {
        addresses.address(of: identity)
    }

    /// Forgets the address of `identity` (its vnode is gone).
    public func forgetAddress(of identity: BaseIdentity) {
        addresses.remove(identity)
    }

    /// Sets (or, with `nil`, removes) the closure answering `/queryBaseline`. While set, it answers
    /// every query and ``replyBaseline(_:to:timeout:)`` is not waited for.
    public func setBaselineProvider(_ provider: BaselineProvider?) {
        baselineProvider.withLock { $0 = provider }
    }

    var currentBaselineProvider: BaselineProvider? { baselineProvider.withLock { $0 } }

    /// Answers the `/queryBaseline` requests of `identity` that are waiting for the controller
    /// (when no ``setBaselineProvider(_:)`` closure is set). Does nothing when none is waiting:
    /// HTTP bases cannot be sent a baseline unasked. Never fails.
    public func replyBaseline(_ bizzes: [BizModel], to identity: BaseIdentity, timeout: Duration) async throws(TunnelError) {
        let answered = baselineQueries.reply(bizzes, to: identity)
        logger.debug("baseline reply", metadata: ["vnode": "\(identity)", "count": "\(bizzes.count)",
                                                  "answeredQueries": "\(answered)"])
    }

    // MARK: - Commands

    public func health(of identity: BaseIdentity, timeout: Duration) async throws(TunnelError) -> HealthReport {
        let report = try await send(.health, to: identity) { address throws(TunnelError) in
            try await client.health(of: identity, at: address, timeout: timeout)
        }
        yield(.health(identity, report))
        return report
    }

    public func queryAllBiz(of identity: BaseIdentity, timeout: Duration) async throws(TunnelError) -> BizListReport {
        let report = try await send(.queryAllBiz, to: identity) { address throws(TunnelError) in
            try await client.queryAllBiz(of: identity, at: address, timeout: timeout)
        }
        yield(.bizList(identity, report))
        return report
    }

    public func install(_ biz: BizModel, on identity: BaseIdentity, timeout: Duration) async throws(TunnelError) -> BizOperationOutcome {
        guard !biz.bizUrl.isEmpty else { throw .invalidRequest("install of \(biz.key) needs a bizUrl") }
        return try await operate(.installBiz, biz, on: identity, timeout: timeout)
    }

    public func uninstall(_ biz: BizModel, on identity: BaseIdentity, timeout: Duration) async throws(TunnelError) -> BizOperationOutcome {
        try await operate(.uninstallBiz, biz, on: identity, timeout: timeout)
    }

    public func batchInstall(_ bizzes: [BizModel], on identity: BaseIdentity, timeout: Duration) async throws(TunnelError) -> BatchInstallOutcome {
        let outcome = try await send(.batchInstallBiz, to: identity) { address throws(TunnelError) in
            try await client.batchInstall(bizzes, on: identity, at: address, timeout: timeout)
        }
        yield(.batchInstallResult(identity, outcome))
        return outcome
    }

    private func operate(_ command: ArkletCommand, _ biz: BizModel, on identity: BaseIdentity,
                         timeout: Duration) async throws(TunnelError) -> BizOperationOutcome {
        guard !biz.bizName.isEmpty, !biz.bizVersion.isEmpty else {
            throw .invalidRequest("\(command) needs bizName and bizVersion to report the result by biz key")
        }
        let outcome = try await send(command, to: identity, biz: biz.key) { address throws(TunnelError) in
            if command == .installBiz {
                try await client.install(biz, on: identity, at: address, timeout: timeout)
            } else {
                try await client.uninstall(biz, on: identity, at: address, timeout: timeout)
            }
        }
        yield(.operationResult(identity, outcome))
        return outcome
    }

    /// Looks up the base's address and runs `call` against it, logging the outcome.
    private func send<Answer>(_ command: ArkletCommand, to identity: BaseIdentity, biz: BizKey? = nil,
                              _ call: (ArkletAddress) async throws(TunnelError) -> Answer) async throws(TunnelError) -> Answer {
        if phase.withLock({ $0 == .finished }) { throw .shutdown }
        var logger = logger
        logger[metadataKey: "vnode"] = "\(identity)"
        logger[metadataKey: "command"] = "\(command)"
        if let biz { logger[metadataKey: "biz"] = "\(biz)" }
        guard let address = addresses.address(of: identity) else {
            logger.debug("no arklet address known")
            throw .invalidRequest("no heartbeat seen from \(identity) and no arklet address registered for it")
        }
        logger.debug("sending command", metadata: ["address": "\(address)"])
        do {
            let answer = try await call(address)
            logger.debug("command answered")
            return answer
        } catch {
            logger.debug("command failed", metadata: ["address": "\(address)", "error": "\(error)"])
            throw error
        }
    }

    /// Hands `event` to the consumer, counting it when the buffer is full.
    func yield(_ event: BaseEvent) {
        TunnelMessageCounter.received(event, via: .http)
        if case .dropped = eventContinuation.yield(event) { droppedMessages.record(.eventBufferFull) }
    }
}
