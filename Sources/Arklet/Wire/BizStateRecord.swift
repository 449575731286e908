/// One state change of a biz as SOFAArk records it: `latestStateRecord` in T9, an element of
/// `bizStateRecords` in T10 and HTTP `queryAllBiz`.
public struct BizStateRecord: Sendable, Hashable, Codable {
    /// Epoch milliseconds; `0` when the base sent none.
    public var changeTime: Int64
    public var state: ArkState
    /// `STARTED` over MQTT, display text (`Started`) over HTTP.
    public var reason: String?
    public var message: String?

    public init(changeTime: Int64, state: ArkState, reason: String? = nil, message: String? = nil) {
        self.changeTime = changeTime
        self.state = state
        self.reason = reason
        self.message = message
    }

    enum CodingKeys: String, CodingKey { case changeTime, state, reason, message }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        changeTime = container.lenientInt64(.changeTime) ?? 0
        state = container.lenient(ArkState.self, .state) ?? .unknown("")
        reason = container.lenientString(.reason)
        message = container.lenientString(.message)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(changeTime, forKey: .changeTime)
        try container.encode(state, forKey: .state)
        try container.encodeIfPresent(reason, forKey: .reason)
        try container.encodeIfPresent(message, forKey: .message)
    }

    /// The record with the greatest positive `changeTime`; records with `changeTime <= 0` are
    /// ignored (upstream rule).
    public static func latest(of records: [BizStateRecord]) -> BizStateRecord? {
        records.filter { $0.changeTime > 0 }.max { $0.changeTime < $1.changeTime }
    }
}
