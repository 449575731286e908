import CMosquitto
import Synchronization

/// The one place where libmosquitto calls into Swift.
///
/// The C callbacks run on the client's network thread while libmosquitto holds its callback
/// mutex. They only copy data: protocol acknowledgements go into ``acknowledgements`` (read by
/// the same network thread right after `mosquitto_loop` returns), messages are yielded into the
/// client's `AsyncStream`. No decisions, no logging, no calls back into libmosquitto.
final class MosquittoCallbacks: Sendable {
    /// Protocol acknowledgements the network loop acts on.
    struct Acknowledgements: Sendable {
        /// CONNACK result of the current attempt, once received.
        var connack: Int32?
        /// SUBACKs received: message id → granted QoS per filter (`0x80` = refused).
        var subacks: [Int32: [Int32]] = [:]
    }

    let acknowledgements = Mutex(Acknowledgements())
    private let continuation: AsyncStream<MosquittoEvent>.Continuation
    private let maxPayloadBytes: Int
    private let onBufferFull: @Sendable () -> Void

    init(continuation: AsyncStream<MosquittoEvent>.Continuation, maxPayloadBytes: Int, onBufferFull: @escaping @Sendable () -> Void) {
        self.continuation = continuation
        self.maxPayloadBytes = maxPayloadBytes
        self.onBufferFull = onBufferFull
    }

    /// Yields an event; counts it when the consumer is too far behind.
    func emit(_ event: MosquittoEvent) {
        if case .dropped = continuation.yield(event) { onBufferFull() }
    }

    /// Ends the event stream.
    func finish() {
        continuation.finish()
    }

    /// Registers the C callbacks on `handle`, with `self` as the userdata libmosquitto passes back.
    /// `self` must outlive `handle` (the client's network thread keeps it alive until after
    /// `mosquitto_destroy`).
    func install(on handle: OpaquePointer) {
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        mosquitto_connect_callback_set(handle) { _, userdata, code in
            MosquittoCallbacks.from(userdata)?.acknowledgements.withLock { $0.connack = code }
        }
        mosquitto_subscribe_callback_set(handle) { _, userdata, mid, count, granted in
            let grantedQoS = granted.map { Array(UnsafeBufferPointer(start: $0, count: Int(max(count, 0)))) } ?? []
            MosquittoCallbacks.from(userdata)?.acknowledgements.withLock { $0.subacks[mid] = grantedQoS }
        }
        mosquitto_message_callback_set(handle) { _, userdata, message in
            guard let callbacks = MosquittoCallbacks.from(userdata), let message else { return }
            callbacks.copy(message.pointee)
        }
    }

    private func copy(_ message: mosquitto_message) {
        let topic = message.topic.map { String(cString: $0) } ?? ""
        let size = Int(max(message.payloadlen, 0))
        guard size <= maxPayloadBytes else {
            emit(.oversized(topic: topic, size: size))
            return
        }
        let payload: [UInt8] = if let bytes = message.payload, size > 0 {
            Array(UnsafeRawBufferPointer(start: bytes, count: size))
        } else {
            []
        }
        emit(.message(MQTTMessage(topic: topic, payload: payload, retained: message.retain)))
    }

    private static func from(_ userdata: UnsafeMutableRawPointer?) -> MosquittoCallbacks? {
        userdata.map { Unmanaged<MosquittoCallbacks>.fromOpaque($0).takeUnretainedValue() }
    }
}
