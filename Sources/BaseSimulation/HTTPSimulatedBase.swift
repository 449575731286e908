import Arklet
import CurlHTTP
import Foundation
import Hummingbird
import Logging
import Synchronization

/// A simulated base speaking the arklet HTTP protocol: what a real arklet does with
/// `koupleless.arklet.http.port` and `koupleless.arklet.http.heartbeat.endpoint` set (reference §2.2).
///
/// Serves the arklet command server (``ArkletCommandResponder``) on its port and, when it has a
/// heartbeat endpoint, POSTs an unwrapped ``BaseStatus`` (`port` = its arklet port, `state` =
/// `activated`) to `<endpoint>/heartbeat` every ``SimulatedBaseConfiguration/heartbeatInterval``
/// at a fixed rate, the first one as soon as it listens. Non-200 answers are only logged.
///
/// ``run(deactivatedHeartbeatOnExit:)`` lasts until its task is cancelled or ``crash()`` is
/// called, and may be called again afterwards: the base then listens on the same port as before
/// (useful with port 0), with the same identity and, after a crash, no bizzes.
public final class HTTPSimulatedBase: Sendable {
    /// The simulated arklet and SOFAArk.
    public let arklet: SimulatedArklet
    /// Controller endpoint heartbeats go to (`<endpoint>/heartbeat`); `nil` sends none.
    public let heartbeatEndpoint: String?
    /// Address the command server listens on.
    public let host: String

    /// Commands answered with `CMD_NOT_FOUND`, like an older arklet that lacks them.
    public let missingCommands: Set<ArkletCommand>

    private let requestedPort: Int
    private let heartbeatTransport: any ArkletHTTPTransport
    private let logger: Logger
    private let readiness = ListenerReadiness()
    private let gate = RequestGate()
    /// Whether the heartbeat schedule sends (``setHeartbeating(_:)``).
    private let heartbeating = Mutex(true)
    /// The port of the first successful run, reused by restarts.
    private let stickyPort = Mutex<Int?>(nil)
    /// Ends the current run (``crash()``).
    private let crashTrigger = Mutex<AsyncStream<Void>.Continuation?>(nil)

    /// How long one heartbeat may take (the arklet's read timeout).
    static let heartbeatTimeout = Duration.seconds(10)

    /// - Parameters:
    ///   - port: arklet port (default 1238); `0` picks a free one, kept across restarts.
    ///   - host: listen address (the arklet listens on all interfaces).
    ///   - heartbeatEndpoint: e.g. `http://127.0.0.1:7777`; `nil` for a base that never heart-beats.
    ///   - heartbeatTransport: how heartbeats are POSTed (share one ``CurlArkletTransport``
    ///     between many bases); `nil` creates a libcurl one for this base.
    ///   - missingCommands: commands to answer with `CMD_NOT_FOUND` (an older arklet).
    public init(arklet: SimulatedArklet, port: Int = ArkletAddress.defaultPort, host: String = "0.0.0.0",
                heartbeatEndpoint: String?, heartbeatTransport: (any ArkletHTTPTransport)? = nil,
                missingCommands: Set<ArkletCommand> = [], logger: Logger) {
        self.missingCommands = missingCommands
        self.arklet = arklet
        self.requestedPort = port
        self.host = host
        self.heartbeatEndpoint = heartbeatEndpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        var logger = logger
        logger[metadataKey: "vnode"] = "\(arklet.configuration.identity)"
        logger[metadataKey: "tunnel"] = "http"
        self.logger = logger
        self.heartbeatTransport = heartbeatTransport
            ?? CurlArkletTransport(client: CurlHTTPClient(logger: logger), connectTimeout: .seconds(30))
    }

    /// The arklet port while the base listens.
    public var port: Int? { readiness.port }

    /// Whether the command server is listening.
    public var isListening: Bool { readiness.port != nil }

    /// The arklet port once the base listens (waits for a running or restarting base).
    public func waitUntilListening(timeout: Duration = .seconds(10)) async throws -> Int {
        try await readiness.waitUntilListening(timeout: timeout)
    }

    /// Whether commands are answered. A base that stops answering keeps accepting connections
    /// and holds every request until it answers again or stops (a hung JVM).
    public func setAnswering(_ answering: Bool) {
        gate.set(open: answering)
        logger.debug(answering ? "answering commands again" : "holding commands unanswered")
    }

    /// Whether heartbeats go out. A base that stops heart-beating keeps its fixed-rate schedule
    /// and resumes on its next tick; with ``setAnswering(_:)`` `false` it is a hung JVM.
    public func setHeartbeating(_ on: Bool) {
        heartbeating.withLock { $0 = on }
        logger.debug(on ? "heart-beating again" : "heartbeats paused")
    }

    /// The JVM dies: every biz is forgotten and the current ``run(deactivatedHeartbeatOnExit:)``
    /// returns at once, without a DEACTIVATED heartbeat. Run again to restart.
    public func crash() async {
        await arklet.crash()
        crashTrigger.withLock { $0 }?.finish()
        logger.info("simulated base crashed")
    }

    /// Serves the arklet command server and heart-beats until the calling task is cancelled or
    /// ``crash()`` is called. One `run` at a time. Throws when the port cannot be bound.
    ///
    /// - Parameter deactivatedHeartbeatOnExit: on cancellation (not on a crash), send one
    ///   `DEACTIVATED` heartbeat before leaving (the upstream Go mock does; a real arklet does not).
    public func run(deactivatedHeartbeatOnExit: Bool = false) async throws {
        readiness.notListening()
        let (crashes, trigger) = AsyncStream.makeStream(of: Void.self)
        crashTrigger.withLock { $0 = trigger }
        defer { crashTrigger.withLock { $0 = nil } }
        let port = stickyPort.withLock { $0 } ?? requestedPort
        let ending: RunEnding
        do {
            ending = try await withThrowingTaskGroup(of: RunEnding?.self) { group in
                group.addTask {
                    do {
                        try await self.serve(port: port)
                    } catch {
                        // Stopping by cancellation is not a failure, however the server reports it.
                        guard Task.isCancelled else { throw error }
                    }
                    return .cancelled
                }
                group.addTask {
                    await self.heartBeat()
                    return nil
                }
                group.addTask {
                    for await _ in crashes {}
                    return Task.isCancelled ? .cancelled : .crashed
                }
                defer { group.cancelAll() }
                while let next = try await group.next() {
                    if let ending = next { return ending }
                }
                return .cancelled
            }
        } catch {
            gate.releaseHeld()
            readiness.failed("\(error)")
            logger.error("simulated base cannot serve", metadata: ["port": "\(port)", "error": "\(error)"])
            throw error
        }
        gate.releaseHeld()
        readiness.notListening()
        if ending == .cancelled, deactivatedHeartbeatOnExit {
            // The run's task is cancelled, which would abort the request at once: the farewell
            // goes out from a fresh task, bounded by the heartbeat timeout.
            _ = await Task { await self.sendHeartbeat(state: "DEACTIVATED", port: port) }.value
        }
        logger.info("simulated base stopped", metadata: ["ending": "\(ending)"])
    }

    private enum RunEnding: Equatable, CustomStringConvertible {
        case cancelled, crashed
        var description: String { self == .cancelled ? "stopped" : "crashed" }
    }

    private func serve(port: Int) async throws {
        let responder = ArkletCommandResponder(arklet: arklet, gate: gate, missingCommands: missingCommands, logger: logger)
        let readiness = self.readiness
        let logger = self.logger
        // Hummingbird logs its own cancellation as an error; requests are logged by the responder.
        var serverLogger = logger
        serverLogger.logLevel = .critical
        let application = Application(
            responder: CallbackResponder<BasicRequestContext> { request, _ in try await responder.respond(to: request) },
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { [self] channel in
                let bound = channel.localAddress?.port ?? port
                stickyPort.withLock { $0 = bound }
                logger.info("simulated arklet listening", metadata: ["port": "\(bound)"])
                readiness.listening(on: bound)
            },
            logger: serverLogger)
        try await application.run()
    }

    /// Heart-beats at a fixed rate once listening, until cancelled.
    private func heartBeat() async {
        guard heartbeatEndpoint != nil, let port = try? await readiness.waitUntilListening(timeout: .seconds(3600)) else {
            return
        }
        let clock = ContinuousClock()
        var next = clock.now
        while !Task.isCancelled {
            if heartbeating.withLock({ $0 }) { await sendHeartbeat(state: "activated", port: port) }
            next = next.advanced(by: arklet.configuration.heartbeatInterval)
            do {
                try await Task.sleep(until: next, clock: clock)
            } catch {
                return
            }
        }
    }

    /// Sends one heartbeat now; returns the HTTP status, `nil` when it did not get through.
    @discardableResult
    public func sendHeartbeat(state: String = "activated") async -> Int? {
        guard let port = readiness.port ?? stickyPort.withLock({ $0 }) else { return nil }
        return await sendHeartbeat(state: state, port: port)
    }

    @discardableResult
    private func sendHeartbeat(state: String, port: Int) async -> Int? {
        guard let endpoint = heartbeatEndpoint else { return nil }
        let configuration = arklet.configuration
        let status = BaseStatus(baseMetadata: configuration.metadata, localIP: configuration.localIP,
                                localHostName: configuration.localHostName, port: port, state: state)
        do {
            let reply = try await heartbeatTransport.post(url: endpoint + "/heartbeat", body: WireCoding.encode(status),
                                                          timeout: Self.heartbeatTimeout)
            if reply.status != 200 {
                logger.info("heartbeat not accepted", metadata: ["status": "\(reply.status)",
                                                                 "answer": "\(String(decoding: reply.body, as: UTF8.self))"])
            } else {
                logger.trace("heartbeat sent", metadata: ["state": "\(state)"])
            }
            return reply.status
        } catch {
            logger.debug("heartbeat failed", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
            return nil
        }
    }
}
