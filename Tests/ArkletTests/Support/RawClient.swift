@testable import Arklet
import Synchronization

/// A message a ``RawClient`` received.
struct MQTTMessageSnapshot: Sendable {
    let topic: String
    let payload: [UInt8]
    let retained: Bool
}

/// A bare MQTT client for tests: publishes arbitrary bytes and records what it receives.
final class RawClient: Sendable {
    private let client: MosquittoClient
    private let messages = Mutex<[MQTTMessageSnapshot]>([])
    private let pump = Mutex<Task<Void, Never>?>(nil)

    init(configuration: MQTTConfiguration, subscriptions: [String] = []) {
        client = MosquittoClient(options: .init(configuration: configuration, clientIdentifier: configuration.clientIdentifier,
                                                subscriptions: subscriptions),
                                 logger: TestLogging.logger("raw"))
    }

    var received: [MQTTMessageSnapshot] { messages.withLock { $0 } }

    /// Connects and waits until subscribed.
    func connect(timeout: Duration = .seconds(10)) async throws {
        client.start()
        let task = Task { [self] in
            for await event in client.events {
                if case .message(let message) = event {
                    self.messages.withLock { $0.append(MQTTMessageSnapshot(topic: message.topic, payload: message.payload, retained: message.retained)) }
                }
            }
        }
        pump.withLock { $0 = task }
        try await poll(timeout: timeout, what: "raw client connection") { client.isConnected ? true : nil }
    }

    func publish(_ topic: String, _ payload: [UInt8], retain: Bool = false) throws {
        try client.publish(topic: topic, payload: payload, qos: 1, retain: retain)
    }

    func publish(_ topic: String, _ text: String) throws {
        try publish(topic, Array(text.utf8))
    }

    func disconnect() async {
        await client.stop()
        pump.withLock { $0 }?.cancel()
    }
}
