/// A full biz description: elements of the legacy T10 list, of HTTP `queryAllBiz`, and of
/// `bizInfos` in install/uninstall results.
///
/// Only the fields the controller uses are kept; others (`declaredMode`, `priority`, …) are ignored.
public struct ArkBizInfo: Sendable, Hashable, Codable {
    public var bizName: String
    public var bizVersion: String
    public var bizState: ArkState
    public var mainClass: String?
    public var webContextPath: String?
    public var bizStateRecords: [BizStateRecord]?

    public init(bizName: String, bizVersion: String, bizState: ArkState, mainClass: String? = nil,
                webContextPath: String? = nil, bizStateRecords: [BizStateRecord]? = nil) {
        self.bizName = bizName
        self.bizVersion = bizVersion
        self.bizState = bizState
        self.mainClass = mainClass
        self.webContextPath = webContextPath
        self.bizStateRecords = bizStateRecords
    }

    public var key: BizKey { BizKey(name: bizName, version: bizVersion) }

    /// The master biz of a base is marked with this main class; it is not a module.
    public static let masterBizMainClass = "embed main"

    enum CodingKeys: String, CodingKey {
        case bizName, bizVersion, bizState, mainClass, webContextPath, bizStateRecords
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        bizName = container.lenientString(.bizName) ?? ""
        bizVersion = container.lenientString(.bizVersion) ?? ""
        bizState = container.lenient(ArkState.self, .bizState) ?? .unknown("")
        mainClass = container.lenientString(.mainClass)
        webContextPath = container.lenientString(.webContextPath)
        bizStateRecords = container.lenient([BizStateRecord].self, .bizStateRecords)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(bizName, forKey: .bizName)
        try container.encode(bizVersion, forKey: .bizVersion)
        try container.encode(bizState, forKey: .bizState)
        try container.encodeIfPresent(mainClass, forKey: .mainClass)
        try container.encodeIfPresent(webContextPath, forKey: .webContextPath)
        try container.encodeIfPresent(bizStateRecords, forKey: .bizStateRecords)
    }
}
