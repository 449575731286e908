import Foundation
import KubeClient
import Logging
import Synchronization

/// Writes Kubernetes Events (what `kubectl describe` shows) without slowing the caller: `record`
/// only queues; `run()` writes them. A repeat of the same event (object, reason, message) within ten
/// minutes bumps the existing Event's `count` and `lastTimestamp` instead of creating another.
public final class EventRecorder: Sendable {
    /// One event to write.
    public struct Record: Sendable {
        public var object: ObjectReference
        public var type: String
        public var reason: String
        public var message: String
        public var host: String?
    }

    private struct Seen {
        var name: String
        var namespace: String
        var count: Int
        var firstTimestamp: Date
        var last: Date
    }

    private let client: KubernetesClient
    private let component: String
    private let clock: any ControllerClock
    private let logger: Logger
    private let stream: AsyncStream<Record>
    private let continuation: AsyncStream<Record>.Continuation
    private let seen = Mutex<[String: Seen]>([:])

    public init(client: KubernetesClient, component: String, clock: any ControllerClock = SystemClock(),
        logger: Logger, bufferSize: Int = 4096)
    {
        self.client = client
        self.component = component
        self.clock = clock
        self.logger = logger
        (stream, continuation) = AsyncStream.makeStream(of: Record.self, bufferingPolicy: .bufferingNewest(bufferSize))
    }

    /// Queues an event about an object. `type` is `Normal` or `Warning`.
    public func record(_ object: ObjectReference, type: String, reason: String, message: String, host: String? = nil) {
        continuation.yield(Record(object: object, type: type, reason: reason, message: message, host: host))
    }

    /// Stops accepting events; `run()` returns after writing what is queued.
    public func finish() {
        continuation.finish()
    }

    /// Writes queued events until `finish()` or cancellation.
    public func run() async {
        for await record in stream {
            await write(record)
        }
    }

    private func write(_ record: Record) async {
        let namespace = record.object.namespace ?? "default"
        let key = [record.object.uid ?? "", namespace, record.object.name ?? "", record.reason, record.message]
            .joined(separator: "\u{1}")
        let now = clock.wallNow
        let previous = seen.withLock { seen -> Seen? in
            if let entry = seen[key], now.timeIntervalSince(entry.last) < 600 { return entry }
            return nil
        }
        do {
            if let previous {
                let count = previous.count + 1
                let patch: JSONValue = [
                    "count": .int(Int64(count)), "lastTimestamp": .string(KubeTime(now).description),
                ]
                _ = try await client.patch(Event.self, namespace: previous.namespace, name: previous.name, patch: .merge(patch))
                seen.withLock { $0[key]?.count = count; $0[key]?.last = now }
                return
            }
        } catch let error as KubeAPIError where error.isNotFound {
            // The earlier event expired on the server: create a new one below.
        } catch {
            logger.info("event not written", metadata: ["reason": "\(record.reason)", "error": "\(error)"])
            return
        }
        let name = "\(record.object.name ?? "object").\(String(UInt64(now.timeIntervalSince1970 * 1e9), radix: 16))"
        let event = Event(
            metadata: ObjectMeta(name: name, namespace: namespace), involvedObject: record.object,
            reason: record.reason, message: record.message, type: record.type,
            source: EventSource(component: component, host: record.host), firstTimestamp: KubeTime(now),
            lastTimestamp: KubeTime(now), count: 1)
        do {
            _ = try await client.create(event, namespace: namespace)
            seen.withLock { seen in
                if seen.count > 4096 { seen.removeAll() }
                seen[key] = Seen(name: name, namespace: namespace, count: 1, firstTimestamp: now, last: now)
            }
        } catch {
            logger.info("event not written", metadata: ["reason": "\(record.reason)", "error": "\(error)"])
        }
    }
}
