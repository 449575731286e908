import Foundation
import Hummingbird
import KubeClient
import Logging
import Synchronization

/// Settings of a `KubeTestServer`.
public struct KubeTestServerConfiguration: Sendable {
    /// The bearer token every request must carry (`Authorization: Bearer <token>`).
    public var token: String
    /// The address to listen on; loopback by default.
    public var host: String
    /// The port to listen on; 0 picks a free one (read it from `KubeTestServer.port`).
    public var port: Int
    /// How many changes the watch history keeps; watches and exact lists from a resourceVersion
    /// older than the oldest kept change answer 410 Expired.
    public var watchHistoryLimit: Int
    /// How many undelivered events one watcher may have queued before the server closes its
    /// stream (the client then re-watches from the last resourceVersion it saw).
    public var watcherQueueLimit: Int
    /// How often watches with `allowWatchBookmarks=true` get a BOOKMARK; `nil` sends none.
    public var bookmarkInterval: Duration?
    /// How long a watch without `timeoutSeconds` stays open (the real server uses 30–60 minutes).
    public var defaultWatchTimeout: Duration
    /// More bearer tokens the server accepts, so that a test can tell one client's requests from
    /// another's (``KubeTestServer/requestedAttributes(token:)``).
    public var additionalTokens: Set<String> = []

    /// Settings with the given token; everything else has test-friendly defaults.
    public init(
        token: String, host: String = "127.0.0.1", port: Int = 0, watchHistoryLimit: Int = 20_000,
        watcherQueueLimit: Int = 10_000, bookmarkInterval: Duration? = .seconds(60),
        defaultWatchTimeout: Duration = .seconds(1800)
    ) {
        self.token = token
        self.host = host
        self.port = port
        self.watchHistoryLimit = watchHistoryLimit
        self.watcherQueueLimit = watcherQueueLimit
        self.bookmarkInterval = bookmarkInterval
        self.defaultWatchTimeout = defaultWatchTimeout
    }
}

/// An in-process Kubernetes API server for tests: a real HTTP/1.1 server on loopback that answers
/// like kube-apiserver v1.36 for core/v1 pods, nodes, namespaces, events and services,
/// coordination.k8s.io/v1 leases and apps/v1 deployments and replicasets: create / get / list /
/// update / merge, strategic-merge and JSON patch / delete, the `status` and `scale` subresources,
/// graceful deletion of bound pods, finalizers, label and field selectors, `limit`/`continue` paging
/// over a consistent snapshot, `resourceVersionMatch=Exact`, and watches (from a resourceVersion,
/// with synthetic ADDED events, selector transitions, bookmarks, `timeoutSeconds`, 410 Expired).
///
/// Known differences from a real kube-apiserver:
/// - No admission webhooks, RBAC, server-side apply (`application/apply-patch+yaml` answers 415),
///   `managedFields`, `dryRun`, YAML or protobuf bodies, or discovery endpoints.
/// - Of the default admission plugins only these are reproduced: NamespaceLifecycle (404 for a
///   missing namespace), Priority, DefaultTolerationSeconds, ServiceAccount (the account name,
///   without the projected token volume), TaintNodesByCondition.
/// - No controllers: deployments get no ReplicaSets or status, nothing garbage-collects by owner
///   references, `propagationPolicy` is validated but otherwise ignored, and deleting a namespace
///   deletes its objects at once (the namespace is answered as Terminating, then removed).
/// - Validation covers names, labels, containers, deployment/replicaset selectors, pod spec
///   immutability (without the diff the real message appends) and a few fields; not the full schema.
/// - A watch with no `timeoutSeconds` lasts `defaultWatchTimeout` (the real server picks 30–60 min).
/// - `Expect: 100-continue` is not answered (clients wait for their own timeout before sending the body).
public final class KubeTestServer: Sendable {
    /// The port the server listens on.
    public let port: Int
    /// `http://<host>:<port>`.
    public let baseURL: String
    let store: ObjectStore
    private let accessLog: AccessLog
    private let serverTask: Task<Void, Never>
    private let logger: Logger

    private init(port: Int, host: String, store: ObjectStore, accessLog: AccessLog, serverTask: Task<Void, Never>,
                 logger: Logger) {
        self.port = port
        self.baseURL = "http://\(host):\(port)"
        self.store = store
        self.accessLog = accessLog
        self.serverTask = serverTask
        self.logger = logger
    }

    /// Starts a server; it is listening when this returns.
    public static func start(_ configuration: KubeTestServerConfiguration, logger: Logger) async throws -> KubeTestServer {
        let store = ObjectStore(historyLimit: configuration.watchHistoryLimit,
            watcherQueueLimit: configuration.watcherQueueLimit)
        let accessLog = AccessLog()
        let handler = APIHandler(store: store, tokens: configuration.additionalTokens.union([configuration.token]),
            bookmarkInterval: configuration.bookmarkInterval, defaultWatchTimeout: configuration.defaultWatchTimeout,
            accessLog: accessLog, logger: logger)
        let responder = CallbackResponder<BasicRequestContext> { request, _ in await handler.respond(to: request) }
        let startup = StartupSignal()
        // Hummingbird logs the cancellation that stops it as an error; its own logs are kept to
        // critical ones (requests are logged by the handler with `logger`).
        var httpLogger = logger
        httpLogger.logLevel = .critical
        let application = Application(
            responder: responder,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in startup.resolve(.success(channel.localAddress?.port ?? 0)) },
            logger: httpLogger)
        let task = Task {
            do {
                try await application.run()
                startup.resolve(.failure(KubeTestServerError.stoppedBeforeListening))
            } catch {
                startup.resolve(.failure(error))
            }
        }
        let port: Int
        do {
            port = try await startup.wait()
        } catch {
            task.cancel()
            await task.value
            throw error
        }
        logger.info("kube test server listening", metadata: ["port": "\(port)"])
        return KubeTestServer(port: port, host: configuration.host, store: store, accessLog: accessLog, serverTask: task,
                              logger: logger)
    }

    /// Every distinct kind of resource request made with `token` so far, as RBAC sees requests.
    public func requestedAttributes(token: String) -> Set<RequestAttributes> { accessLog.all(token: token) }

    /// How many requests of each kind the client with `token` has made so far (a watch counts once,
    /// when it is opened). Benchmarks diff two readings to see what a controller writes.
    public func requestCounts(token: String) -> [RequestAttributes: Int] { accessLog.counts(token: token) }

    /// Ends every watch stream, stops the HTTP server and waits until it has stopped.
    public func shutdown() async {
        store.endAllWatchers()
        serverTask.cancel()
        await serverTask.value
        logger.info("kube test server stopped", metadata: ["port": "\(port)"])
    }

    /// Drops the watch history: watches and `resourceVersionMatch=Exact` lists from any
    /// resourceVersion older than the current one answer 410 Expired (as after etcd compaction).
    public func compact() { store.compact() }

    /// Ends every open watch stream cleanly, as an API server restart or a load balancer does;
    /// clients watch again from the last resourceVersion they saw.
    public func closeWatches() { store.endAllWatchers() }

    /// The current (latest) resourceVersion.
    public var currentResourceVersion: UInt64 { store.resourceVersion }

    /// How many watch streams are open.
    public var openWatchCount: Int { store.watcherCount }
}

/// Why a `KubeTestServer` could not start.
public enum KubeTestServerError: Error, Sendable {
    /// The HTTP server returned before it bound its port.
    case stoppedBeforeListening
}

/// A one-shot hand-over of the bound port (or the startup failure) from the server task to `start`.
private final class StartupSignal: Sendable {
    private enum State {
        case pending([CheckedContinuation<Int, any Error>])
        case done(Result<Int, any Error>)
    }

    private let state = Mutex(State.pending([]))

    func resolve(_ result: Result<Int, any Error>) {
        let waiters: [CheckedContinuation<Int, any Error>] = state.withLock { state in
            guard case .pending(let waiters) = state else { return [] }
            state = .done(result)
            return waiters
        }
        for waiter in waiters { waiter.resume(with: result) }
    }

    func wait() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let result: Result<Int, any Error>? = state.withLock { state in
                switch state {
                case .pending(var waiters):
                    waiters.append(continuation)
                    state = .pending(waiters)
                    return nil
                case .done(let result):
                    return result
                }
            }
            if let result { continuation.resume(with: result) }
        }
    }
}
