import Arklet
import BaseSimulation
import CurlHTTP
import Foundation

/// One test's world for the HTTP tunnel: a controller tunnel listening on a free loopback port,
/// a recorder of its events, and a libcurl client for raw requests.
struct HTTPHarness: Sendable {
    let tunnel: HTTPTunnel
    let recorder: EventRecorder
    let port: Int
    let curl: CurlHTTPClient

    /// The tunnel's listener, as bases are configured with it.
    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// A simulated base on a free loopback port, heart-beating (rarely) to this tunnel.
    /// - Parameter heartbeats: `false` for a base that never heart-beats (known only by ``HTTPTunnel/setAddress(_:for:)``).
    func makeBase(_ identity: String, heartbeats: Bool = true, missingCommands: Set<ArkletCommand> = [],
                  configure: (inout SimulatedBaseConfiguration) -> Void = { _ in }) -> HTTPSimulatedBase {
        var configuration = SimulatedBaseConfiguration(identity: BaseIdentity(identity)!, localIP: "127.0.0.1",
                                                       heartbeatInterval: .seconds(60), installDuration: .milliseconds(50),
                                                       uninstallDuration: .milliseconds(20))
        configure(&configuration)
        return HTTPSimulatedBase(arklet: SimulatedArklet(configuration: configuration), port: 0, host: "127.0.0.1",
                                 heartbeatEndpoint: heartbeats ? endpoint : nil, heartbeatTransport: CurlArkletTransport(client: curl),
                                 missingCommands: missingCommands, logger: TestLogging.logger("http-base"))
    }

    /// Runs `base` until the returned runner is stopped.
    func start(_ base: HTTPSimulatedBase) -> RunningHTTPBase {
        RunningHTTPBase(base: base, task: Task { try await base.run() })
    }

    /// Starts `base` and waits until the tunnel has seen its first heartbeat (sent once the base
    /// listens, so commands can reach it from then on).
    func startAndAwaitHeartbeat(_ base: HTTPSimulatedBase) async throws -> RunningHTTPBase {
        let mark = recorder.mark
        let identity = base.arklet.configuration.identity
        let running = start(base)
        try await recorder.waitFor(from: mark) { event in
            if case .heartbeat(identity, _, _) = event { return true }
            return false
        }
        return running
    }

    /// A raw request to the tunnel's listener.
    func request(_ method: String, _ path: String, body: String? = nil) async throws -> HTTPResponse {
        try await curl.execute(HTTPRequest(method: method, url: endpoint + path, body: body.map { Data($0.utf8) },
                                           timeout: .seconds(10), connectTimeout: .seconds(5)))
    }
}

/// A simulated HTTP base running in its own task.
struct RunningHTTPBase: Sendable {
    let base: HTTPSimulatedBase
    let task: Task<Void, any Error>

    /// Cancels the base and waits until it has stopped.
    func stop() async {
        task.cancel()
        _ = await task.result
    }
}

extension HTTPTunnelOptions {
    /// Loopback, a free port, short budgets.
    static func forTests(timeout: Duration = .seconds(10), requireSourceAddressMatch: Bool = false,
                         allowedCIDRs: [CIDRBlock] = [], baselineAnswerTimeout: Duration = .seconds(5)) -> HTTPTunnelOptions {
        HTTPTunnelOptions(host: "127.0.0.1", port: 0, timeouts: .uniform(timeout),
                          requireSourceAddressMatch: requireSourceAddressMatch, allowedCIDRs: allowedCIDRs,
                          baselineAnswerTimeout: baselineAnswerTimeout)
    }
}

/// Runs `body` with a listening HTTP tunnel whose events are recorded; stops everything after.
func withHTTPHarness(options: HTTPTunnelOptions = .forTests(),
                     _ body: @Sendable (HTTPHarness) async throws -> Void) async throws {
    let curl = CurlHTTPClient(logger: TestLogging.logger("curl"))
    defer { curl.shutdown() }
    let tunnel = HTTPTunnel(options: options, transport: CurlArkletTransport(client: curl, connectTimeout: .seconds(2)),
                            logger: TestLogging.logger("http-tunnel"))
    let recorder = EventRecorder()
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await tunnel.run() }
        group.addTask { await recorder.consume(tunnel.events) }
        let port = try await tunnel.waitUntilListening(timeout: .seconds(10))
        try await body(HTTPHarness(tunnel: tunnel, recorder: recorder, port: port, curl: curl))
        group.cancelAll()
        try await group.waitForAll()
    }
}
