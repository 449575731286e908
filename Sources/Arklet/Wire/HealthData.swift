/// The health figures of a base: `healthData` in the answer to the `health` command (T8 over
/// MQTT, `POST /health` over HTTP).
///
/// `jvm` and `cpu` are open-ended maps whose key names contain spaces and units
/// (`java max metaspace`, `total used (%)`); the controller reads the metaspace figures through
/// the typed accessors. Other sections the arklet may send (`pluginListInfo`, `bizListInfo`, …)
/// are ignored.
public struct HealthData: Sendable, Hashable, Codable {
    /// Key of the maximum metaspace in bytes (`-1` = unbounded/unknown).
    public static let maxMetaspaceKey = "java max metaspace"
    /// Key of the committed metaspace in bytes.
    public static let committedMetaspaceKey = "java committed metaspace"
    /// Key of the used metaspace in bytes.
    public static let usedMetaspaceKey = "java used metaspace"

    public var jvm: [String: WireJSON]
    public var cpu: [String: WireJSON]
    public var masterBizInfo: MasterBizInfo?

    public init(jvm: [String: WireJSON] = [:], cpu: [String: WireJSON] = [:], masterBizInfo: MasterBizInfo? = nil) {
        self.jvm = jvm
        self.cpu = cpu
        self.masterBizInfo = masterBizInfo
    }

    /// Health data with the three metaspace figures set.
    public init(maxMetaspace: Int64, committedMetaspace: Int64, usedMetaspace: Int64,
                cpu: [String: WireJSON] = [:], masterBizInfo: MasterBizInfo?) {
        self.init(
            jvm: [
                Self.maxMetaspaceKey: .integer(maxMetaspace),
                Self.committedMetaspaceKey: .integer(committedMetaspace),
                Self.usedMetaspaceKey: .integer(usedMetaspace),
            ],
            cpu: cpu,
            masterBizInfo: masterBizInfo)
    }

    /// `jvm["java max metaspace"]` in bytes, when present and numeric.
    public var maxMetaspace: Int64? { jvm[Self.maxMetaspaceKey]?.int64Value }
    /// `jvm["java committed metaspace"]` in bytes, when present and numeric.
    public var committedMetaspace: Int64? { jvm[Self.committedMetaspaceKey]?.int64Value }
    /// `jvm["java used metaspace"]` in bytes, when present and numeric.
    public var usedMetaspace: Int64? { jvm[Self.usedMetaspaceKey]?.int64Value }

    enum CodingKeys: String, CodingKey { case jvm, cpu, masterBizInfo }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        jvm = container.lenient([String: WireJSON].self, .jvm) ?? [:]
        cpu = container.lenient([String: WireJSON].self, .cpu) ?? [:]
        masterBizInfo = container.lenient(MasterBizInfo.self, .masterBizInfo)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(jvm, forKey: .jvm)
        try container.encode(cpu, forKey: .cpu)
        try container.encodeIfPresent(masterBizInfo, forKey: .masterBizInfo)
    }
}

/// The base's own ("master") biz inside health data; its state drives liveness.
public struct MasterBizInfo: Sendable, Hashable, Codable {
    public var bizName: String
    public var bizVersion: String
    public var bizState: ArkState
    public var webContextPath: String?

    public init(bizName: String, bizVersion: String, bizState: ArkState, webContextPath: String? = "/") {
        self.bizName = bizName
        self.bizVersion = bizVersion
        self.bizState = bizState
        self.webContextPath = webContextPath
    }

    enum CodingKeys: String, CodingKey { case bizName, bizVersion, bizState, webContextPath }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        bizName = container.lenientString(.bizName) ?? ""
        bizVersion = container.lenientString(.bizVersion) ?? ""
        bizState = container.lenient(ArkState.self, .bizState) ?? .unknown("")
        webContextPath = container.lenientString(.webContextPath)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(bizName, forKey: .bizName)
        try container.encode(bizVersion, forKey: .bizVersion)
        try container.encode(bizState, forKey: .bizState)
        try container.encodeIfPresent(webContextPath, forKey: .webContextPath)
    }
}

/// The `data` of a `health` answer: `{"healthData":{…}}`.
public struct HealthResponseData: Sendable, Hashable, Codable {
    public var healthData: HealthData

    public init(healthData: HealthData) {
        self.healthData = healthData
    }

    enum CodingKeys: String, CodingKey { case healthData }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        healthData = container.lenient(HealthData.self, .healthData) ?? HealthData()
    }
}
