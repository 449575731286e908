/// The result of an install or uninstall over MQTT: the `data` of T11 `bizOperation`.
///
/// ```json
/// {"command":"installBiz","bizName":"biz1","bizVersion":"0.0.1",
///  "response":{"code":"SUCCESS","data":{"code":"SUCCESS","message":"…","bizInfos":[…]}}}
/// ```
public struct BizOperationResult: Sendable, Hashable, Codable {
    /// `installBiz` or `uninstallBiz`.
    public var command: ArkletCommand
    public var bizName: String
    public var bizVersion: String
    public var response: ArkletResponse<ClientResponse>

    public init(command: ArkletCommand, bizName: String, bizVersion: String, response: ArkletResponse<ClientResponse>) {
        self.command = command
        self.bizName = bizName
        self.bizVersion = bizVersion
        self.response = response
    }

    public var key: BizKey { BizKey(name: bizName, version: bizVersion) }

    enum CodingKeys: String, CodingKey { case command, bizName, bizVersion, response }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        command = ArkletCommand(rawValue: container.lenientString(.command) ?? "")
        bizName = container.lenientString(.bizName) ?? ""
        bizVersion = container.lenientString(.bizVersion) ?? ""
        response = try container.decode(ArkletResponse<ClientResponse>.self, forKey: .response)
    }
}

/// The result of a batch install: the `data` of T12 `batchInstallBizResponse`
/// (`{"command":"batchInstallBiz","response":{…}}`).
public struct BatchInstallResult: Sendable, Hashable, Codable {
    public var command: ArkletCommand
    public var response: ArkletResponse<BatchInstallResponse>

    public init(response: ArkletResponse<BatchInstallResponse>) {
        self.command = .batchInstallBiz
        self.response = response
    }

    enum CodingKeys: String, CodingKey { case command, response }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        command = ArkletCommand(rawValue: container.lenientString(.command) ?? "")
        response = try container.decode(ArkletResponse<BatchInstallResponse>.self, forKey: .response)
    }
}

/// The `data` of a batch-install answer (T12 `response.data`, HTTP `batchInstallBiz` `data`):
/// one ClientResponse per requested `bizUrl`.
public struct BatchInstallResponse: Sendable, Hashable, Codable {
    public var code: String
    public var message: String?
    public var elapsedSpace: Int64?
    public var bizUrlToResponse: [String: ClientResponse]

    public init(code: String, message: String? = nil, elapsedSpace: Int64? = nil, bizUrlToResponse: [String: ClientResponse]) {
        self.code = code
        self.message = message
        self.elapsedSpace = elapsedSpace
        self.bizUrlToResponse = bizUrlToResponse
    }

    enum CodingKeys: String, CodingKey { case code, message, elapsedSpace, bizUrlToResponse }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = container.lenientString(.code) ?? ""
        message = container.lenientString(.message)
        elapsedSpace = container.lenientInt64(.elapsedSpace)
        bizUrlToResponse = container.lenient([String: ClientResponse].self, .bizUrlToResponse) ?? [:]
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encodeIfPresent(message, forKey: .message)
        try container.encodeIfPresent(elapsedSpace, forKey: .elapsedSpace)
        try container.encode(bizUrlToResponse, forKey: .bizUrlToResponse)
    }
}
