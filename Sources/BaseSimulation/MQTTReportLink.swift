import Arklet
import Synchronization

/// The broker connection simulated arklets publish their reports through, shared by every arklet
/// behind it (one for an ``MQTTSimulatedBase``, one for a whole ``MQTTSimulatedFleet``).
///
/// Reports that cannot be published while disconnected are kept (up to ``outboxLimit``) when asked
/// and sent after reconnecting, as the arklet's in-memory MQTT persistence does.
final class MQTTReportLink: Sendable {
    private let client = Mutex<MosquittoClientBox?>(nil)
    private let outbox = Mutex<[MQTTMessage]>([])
    let outboxLimit: Int

    init(outboxLimit: Int = 1_000) {
        self.outboxLimit = outboxLimit
    }

    /// Whether the current connection is up and subscribed.
    var isConnected: Bool { client.withLock { $0?.client.isConnected ?? false } }

    /// Makes `connection` the one reports go through (`nil` once it is stopped).
    func attach(_ connection: MosquittoClient?) {
        client.withLock { $0 = connection.map(MosquittoClientBox.init) }
    }

    /// Runs `connection` until the calling task is cancelled, as the link's connection: after
    /// every connect sends what was kept, after the first one calls `firstConnect` (which may add
    /// long-running work to the group, e.g. heart-beating); each message `route` gives work for runs
    /// concurrently, as an arklet's thread pool handles commands. `beforeDisconnect` runs once the
    /// task is cancelled, while the connection is still up.
    func serve(_ connection: MosquittoClient, firstConnect: (inout DiscardingTaskGroup) -> Void,
               route: (MQTTMessage) -> (@Sendable () async -> Void)?, beforeDisconnect: () -> Void) async {
        attach(connection)
        connection.start()
        await withDiscardingTaskGroup { group in
            var connectedBefore = false
            for await event in connection.events {
                switch event {
                case .ready:
                    flushOutbox()
                    if !connectedBefore {
                        connectedBefore = true
                        firstConnect(&group)
                    }
                case .message(let message):
                    if let work = route(message) { group.addTask(operation: work) }
                case .connectFailed, .disconnected, .oversized:
                    break
                }
            }
            group.cancelAll()
        }
        beforeDisconnect()
        await connection.stop()
        attach(nil)
    }

    /// Publishes `message`, or keeps it for the next connection when `keepIfDisconnected`.
    func publish(_ message: MQTTMessage, keepIfDisconnected: Bool) {
        do {
            try send(message)
        } catch {
            guard keepIfDisconnected else { return }
            outbox.withLock { queued in
                if queued.count < outboxLimit { queued.append(message) }
            }
        }
    }

    /// Sends what was kept while disconnected, oldest first (after a connect).
    func flushOutbox() {
        let queued = outbox.withLock { queued in
            defer { queued = [] }
            return queued
        }
        for (index, message) in queued.enumerated() {
            do {
                try send(message)
            } catch {
                outbox.withLock { $0.insert(contentsOf: queued[index...], at: 0) }
                return
            }
        }
    }

    private func send(_ message: MQTTMessage) throws(MosquittoPublishError) {
        try client.withLock { box throws(MosquittoPublishError) in
            guard let box else { throw .notConnected }
            try box.client.publish(topic: message.topic, payload: message.payload)
        }
    }
}

/// Holds the current connection so publishers can reach it.
private struct MosquittoClientBox: Sendable {
    let client: MosquittoClient
}
