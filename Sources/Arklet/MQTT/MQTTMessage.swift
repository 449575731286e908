/// An MQTT message as it arrived from the broker, copied out of libmosquitto's buffers.
package struct MQTTMessage: Sendable, Hashable {
    package var topic: String
    package var payload: [UInt8]
    package var retained: Bool

    package init(topic: String, payload: [UInt8], retained: Bool = false) {
        self.topic = topic
        self.payload = payload
        self.retained = retained
    }
}

/// What a ``MosquittoClient`` reports to its owner.
package enum MosquittoEvent: Sendable, Hashable {
    /// Connected and every subscription acknowledged (after each (re)connect).
    case ready
    /// A connection attempt failed (refused, timed out, unreachable).
    case connectFailed(String)
    /// An established connection ended.
    case disconnected(String)
    /// A message arrived.
    case message(MQTTMessage)
    /// A message larger than the configured limit arrived; its payload was not copied.
    case oversized(topic: String, size: Int)
}

/// Why a publish was refused.
package enum MosquittoPublishError: Error, Sendable, Hashable {
    /// Not connected (or the client is stopped); nothing was queued.
    case notConnected
    /// libmosquitto refused the message.
    case rejected(code: Int32, description: String)
}
