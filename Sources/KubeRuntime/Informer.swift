import KubeClient
import Logging
import Synchronization

/// Keeps an `ObjectStore` in step with the API server: lists, then watches from the list's
/// resourceVersion; re-watches from the last version seen when a watch ends; relists after
/// `410 Gone`; backs off with jitter on errors. Every change is handed to `handler` after the store
/// has it, so a handler that reads the store sees at least that state.
public final class Informer<Object: KubeResource>: Sendable {
    public typealias Handler = @Sendable (StoreChange<Object>) -> Void

    public let store: ObjectStore<Object>
    private let client: KubernetesClient
    private let namespace: String?
    private let labelSelector: LabelSelector?
    private let fieldSelector: FieldSelector?
    private let handler: Handler
    private let clock: any ControllerClock
    private let logger: Logger
    private let watchTimeout: ClosedRange<Int>
    private let lists = Mutex(0)

    /// How many complete lists this informer has made (the first, plus one per relist after
    /// `410 Gone` or a failed list).
    public var listCount: Int { lists.withLock { $0 } }

    public init(
        client: KubernetesClient, namespace: String? = nil, labelSelector: LabelSelector? = nil,
        fieldSelector: FieldSelector? = nil, store: ObjectStore<Object> = ObjectStore(),
        clock: any ControllerClock = SystemClock(), watchTimeoutSeconds: ClosedRange<Int> = 300...600,
        logger: Logger, handler: @escaping Handler = { _ in }
    ) {
        self.client = client
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.store = store
        self.clock = clock
        self.watchTimeout = watchTimeoutSeconds
        self.handler = handler
        var logger = logger
        logger[metadataKey: "resource"] = "\(Object.descriptor)"
        self.logger = logger
    }

    /// Runs until the task is cancelled.
    public func run() async {
        var backoff = Backoff()
        while !Task.isCancelled {
            do {
                var version = try await relist()
                backoff.reset()
                while !Task.isCancelled {
                    do {
                        version = try await watch(from: version)
                        backoff.reset()
                    } catch let error as KubeAPIError where error.isGone {
                        logger.debug("watch resourceVersion expired; relisting", metadata: ["resourceVersion": "\(version)"])
                        break
                    } catch is CancellationError {
                        return
                    } catch {
                        logger.info("watch failed; watching again after back-off", metadata: ["error": "\(error)"])
                        try await clock.sleep(for: backoff.next())
                    }
                }
            } catch is CancellationError {
                return
            } catch {
                logger.info("list failed; retrying after back-off", metadata: ["error": "\(error)"])
                do { try await clock.sleep(for: backoff.next()) } catch { return }
            }
        }
    }

    private func relist() async throws -> String {
        let list = try await client.listAll(
            Object.self, namespace: namespace,
            options: ListOptions(labelSelector: labelSelector, fieldSelector: fieldSelector))
        let version = list.metadata.resourceVersion ?? ""
        lists.withLock { $0 += 1 }
        let changes = store.replace(with: list.items, resourceVersion: version)
        for change in changes { handler(change) }
        logger.debug("listed", metadata: ["count": "\(list.items.count)", "resourceVersion": "\(version)"])
        return version
    }

    /// Watches until the stream ends; returns the last resourceVersion seen.
    private func watch(from version: String) async throws -> String {
        var version = version
        let stream = try await client.watch(
            Object.self, namespace: namespace,
            options: WatchOptions(
                labelSelector: labelSelector, fieldSelector: fieldSelector, resourceVersion: version,
                allowBookmarks: true, timeoutSeconds: Int.random(in: watchTimeout)))
        for try await event in stream {
            switch event {
            case .added(let object), .modified(let object):
                if let change = store.apply(object) { handler(change) }
            case .deleted(let object):
                if let change = store.remove(object) { handler(change) }
            case .bookmark(let resourceVersion):
                store.setResourceVersion(resourceVersion)
            }
            if let next = event.resourceVersion, !next.isEmpty { version = next }
        }
        return version
    }
}

/// Exponential back-off with full jitter: 0.8 s doubling to 30 s, as client-go's reflector.
struct Backoff {
    private var attempt = 0
    let initial: Double = 0.8
    let maximum: Double = 30

    mutating func next() -> Duration {
        attempt += 1
        let base = min(maximum, initial * Double(1 << min(attempt - 1, 10)))
        return .milliseconds(Int(base * Double.random(in: 0.5...1.5) * 1000))
    }

    mutating func reset() { attempt = 0 }
}
