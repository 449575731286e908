import Foundation

/// The wrapper around every base → controller MQTT message:
/// `{"publishTimestamp": <epoch ms, base clock>, "data": <payload>}`.
///
/// Controller → base payloads are not wrapped.
public struct MQTTEnvelope<Payload: Sendable & Codable>: Sendable, Codable {
    /// How long after `publishTimestamp` a message is stale (upstream: 10 s).
    public static var expiryInterval: Duration { .seconds(10) }

    /// Epoch milliseconds when the base published the message.
    public var publishTimestamp: Int64
    public var data: Payload

    public init(publishTimestamp: Int64, data: Payload) {
        self.publishTimestamp = publishTimestamp
        self.data = data
    }

    /// Wraps `data` stamped with `now`.
    public init(data: Payload, publishedAt now: Date) {
        self.init(publishTimestamp: now.epochMilliseconds, data: data)
    }

    /// The publish time as a date.
    public var publishedAt: Date { Date(epochMilliseconds: publishTimestamp) }

    /// Whether the message is stale at `now`: `publishTimestamp + 10000 <= now` (a message
    /// exactly 10 s old is expired).
    public func isExpired(now: Date) -> Bool {
        MQTTEnvelopeHeader(publishTimestamp: publishTimestamp).isExpired(now: now)
    }
}

extension MQTTEnvelope: Equatable where Payload: Equatable {}
extension MQTTEnvelope: Hashable where Payload: Hashable {}

/// Just the `publishTimestamp` of an envelope, read first so that stale messages are dropped
/// before their payload is decoded (an expired `{"publishTimestamp":0}` has no `data` at all).
public struct MQTTEnvelopeHeader: Sendable, Hashable, Decodable {
    public var publishTimestamp: Int64

    public init(publishTimestamp: Int64) {
        self.publishTimestamp = publishTimestamp
    }

    /// See ``MQTTEnvelope/isExpired(now:)``.
    public func isExpired(now: Date) -> Bool {
        let expiryMilliseconds: Int64 = 10_000
        let (deadline, overflow) = publishTimestamp.addingReportingOverflow(expiryMilliseconds)
        return !overflow && deadline <= now.epochMilliseconds
    }
}

extension Date {
    /// Epoch milliseconds of this date, rounded down.
    public var epochMilliseconds: Int64 {
        Int64((timeIntervalSince1970 * 1000).rounded(.down))
    }

    /// The date `milliseconds` after the Unix epoch.
    public init(epochMilliseconds milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}
