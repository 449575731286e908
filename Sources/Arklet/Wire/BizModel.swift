/// One biz to install or uninstall: the body of `installBiz`/`uninstallBiz` commands and an
/// element of the baseline reply (T3) and of `batchInstallBiz`.
///
/// Encoding omits empty fields, exactly like the upstream controller
/// (`{"bizName":"biz1","bizVersion":"0.0.1","bizUrl":"…"}`).
public struct BizModel: Sendable, Hashable, Codable {
    public var bizName: String
    public var bizVersion: String
    public var bizUrl: String

    public init(bizName: String, bizVersion: String, bizUrl: String = "") {
        self.bizName = bizName
        self.bizVersion = bizVersion
        self.bizUrl = bizUrl
    }

    /// `name:version` of this biz.
    public var key: BizKey { BizKey(name: bizName, version: bizVersion) }

    enum CodingKeys: String, CodingKey {
        case bizName, bizVersion, bizUrl
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        bizName = container.lenientString(.bizName) ?? ""
        bizVersion = container.lenientString(.bizVersion) ?? ""
        bizUrl = container.lenientString(.bizUrl) ?? ""
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeUnlessEmpty(bizName, forKey: .bizName)
        try container.encodeUnlessEmpty(bizVersion, forKey: .bizVersion)
        try container.encodeUnlessEmpty(bizUrl, forKey: .bizUrl)
    }
}

/// Body of the arklet's HTTP `batchInstallBiz` command: `{"bizList":[BizModel…]}`.
public struct BatchInstallRequest: Sendable, Hashable, Codable {
    public var bizList: [BizModel]

    public init(bizList: [BizModel]) {
        self.bizList = bizList
    }

    enum CodingKeys: String, CodingKey { case bizList }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        bizList = container.lenient([BizModel].self, .bizList) ?? []
    }
}
