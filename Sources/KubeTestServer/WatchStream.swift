import Hummingbird
import KubeClient
import Logging

/// Writes one watch response: the initial events, then every queued change in resourceVersion
/// order, bookmarks when asked for, until the timeout, the client leaving, the server shutting down,
/// or the watcher falling more than the queue limit behind.
struct WatchStream: Sendable {
    let store: ObjectStore
    let filter: WatchFilter
    let allowBookmarks: Bool
    let sendInitialEvents: Bool
    let bookmarkInterval: Duration?
    let timeout: Duration
    let logger: Logger

    func run(_ registration: WatchRegistration, request: Request, writer: inout any ResponseBodyWriter) async throws {
        switch registration {
        case .expired(let error):
            var out: [UInt8] = []
            appendWatchLine("ERROR", error.statusBody, to: &out)
            try await writer.write(ByteBuffer(bytes: out))
            try await writer.finish(nil)
        case .started(let id, let initial, let resourceVersion, let signals):
            let store = self.store
            do {
                try await request.body.consumeWithInboundCloseHandler { _ in
                    try await stream(id: id, initial: initial, resourceVersion: resourceVersion, signals: signals,
                        writer: &writer)
                } onInboundClosed: {
                    store.endWatcher(id, .clientGone)
                }
            } catch {
                store.removeWatcher(id)
                throw error
            }
            store.removeWatcher(id)
            try await writer.finish(nil)
        }
    }

    private func stream(id: Int, initial: [ChangeEvent], resourceVersion: UInt64, signals: AsyncStream<Void>,
        writer: inout any ResponseBodyWriter) async throws
    {
        var out: [UInt8] = []
        for event in initial {
            if let type = watchEventType(for: event, filter: filter) { appendWatchLine(type.rawValue, event.object, to: &out) }
        }
        if sendInitialEvents && allowBookmarks {
            appendWatchLine("BOOKMARK", bookmarkObject(filter.resource, resourceVersion: resourceVersion, initialEventsEnd: true),
                to: &out)
        }
        if !out.isEmpty { try await writer.write(ByteBuffer(bytes: out)) }

        let store = self.store
        let timeout = self.timeout
        let bookmarkInterval = allowBookmarks ? self.bookmarkInterval : nil
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await Task.sleep(for: timeout)
                store.endWatcher(id, .timeout)
            }
            if let bookmarkInterval {
                group.addTask {
                    while true {
                        try await Task.sleep(for: bookmarkInterval)
                        store.requestBookmark(id)
                    }
                }
            }
            for await _ in signals {
                let batch = store.drain(id)
                var out: [UInt8] = []
                for event in batch.events {
                    if let type = watchEventType(for: event, filter: filter) {
                        appendWatchLine(type.rawValue, event.object, to: &out)
                    }
                }
                if batch.bookmarkDue {
                    appendWatchLine("BOOKMARK",
                        bookmarkObject(filter.resource, resourceVersion: batch.resourceVersion, initialEventsEnd: false),
                        to: &out)
                }
                if !out.isEmpty { try await writer.write(ByteBuffer(bytes: out)) }
                if let reason = batch.endReason {
                    logger.debug("watch ended", metadata: ["resource": "\(filter.resource.rawValue)", "reason": "\(reason)"])
                    break
                }
            }
            group.cancelAll()
        }
    }
}
