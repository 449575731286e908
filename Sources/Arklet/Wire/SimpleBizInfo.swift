/// One biz in the arklet's answer to `queryAllBiz` over MQTT (T9 `simpleBiz`).
///
/// `state` travels as the lower-case display string; `latestStateRecord` may be `null`, and the
/// arklet writes that `null` explicitly, so encoding does too.
public struct SimpleBizInfo: Sendable, Hashable, Codable {
    public var name: String
    public var version: String
    public var state: ArkState
    public var latestStateRecord: BizStateRecord?

    public init(name: String, version: String, state: ArkState, latestStateRecord: BizStateRecord?) {
        self.name = name
        self.version = version
        self.state = state
        self.latestStateRecord = latestStateRecord
    }

    public var key: BizKey { BizKey(name: name, version: version) }

    enum CodingKeys: String, CodingKey { case name, version, state, latestStateRecord }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = container.lenientString(.name) ?? ""
        version = container.lenientString(.version) ?? ""
        state = container.lenient(ArkState.self, .state) ?? .unknown("")
        latestStateRecord = container.lenient(BizStateRecord.self, .latestStateRecord)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(version, forKey: .version)
        try container.encode(state.displayName, forKey: .state)
        if let latestStateRecord {
            try container.encode(latestStateRecord, forKey: .latestStateRecord)
        } else {
            try container.encodeNil(forKey: .latestStateRecord)
        }
    }
}
