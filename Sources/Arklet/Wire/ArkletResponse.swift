/// The arklet's result code: `code` of every command answer (`SUCCESS`, `FAILED`,
/// `CMD_NOT_FOUND`, `CMD_PROCESS_INTERNAL_ERROR`). Any other text (including the empty string
/// some mocks send) is kept as-is and is not a success.
public struct ArkletResponseCode: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public static let success = ArkletResponseCode(rawValue: "SUCCESS")
    public static let failed = ArkletResponseCode(rawValue: "FAILED")
    public static let commandNotFound = ArkletResponseCode(rawValue: "CMD_NOT_FOUND")
    public static let internalError = ArkletResponseCode(rawValue: "CMD_PROCESS_INTERNAL_ERROR")

    public var isSuccess: Bool { self == .success }
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        rawValue = (try? container.decode(String.self)) ?? ""
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The envelope of every arklet command answer (HTTP body; `data` of T8, T10, and `response` of
/// T11/T12): `{"code","message","data","errorStackTrace","baseIdentity"}`. Absent fields are
/// omitted on encode, as fastjson does.
public struct ArkletResponse<Payload: Sendable & Codable>: Sendable, Codable {
    public var code: ArkletResponseCode
    public var message: String?
    public var data: Payload?
    public var errorStackTrace: String?
    /// Sent by the HTTP command server only.
    public var baseIdentity: String?

    public init(code: ArkletResponseCode, message: String? = nil, data: Payload? = nil,
                errorStackTrace: String? = nil, baseIdentity: String? = nil) {
        self.code = code
        self.message = message
        self.data = data
        self.errorStackTrace = errorStackTrace
        self.baseIdentity = baseIdentity
    }

    enum CodingKeys: String, CodingKey { case code, message, data, errorStackTrace, baseIdentity }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = container.lenient(ArkletResponseCode.self, .code) ?? ArkletResponseCode(rawValue: "")
        message = container.lenientString(.message)
        // A `data` of the wrong shape is a malformed answer, not an absent one.
        if container.contains(.data), try !container.decodeNil(forKey: .data) {
            data = try container.decode(Payload.self, forKey: .data)
        } else {
            data = nil
        }
        errorStackTrace = container.lenientString(.errorStackTrace)
        baseIdentity = container.lenientString(.baseIdentity)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encodeIfPresent(message, forKey: .message)
        try container.encodeIfPresent(data, forKey: .data)
        try container.encodeIfPresent(errorStackTrace, forKey: .errorStackTrace)
        try container.encodeIfPresent(baseIdentity, forKey: .baseIdentity)
    }
}

extension ArkletResponse: Equatable where Payload: Equatable {}
extension ArkletResponse: Hashable where Payload: Hashable {}

/// SOFAArk's ClientResponse: the `data` of an install/uninstall answer
/// (`{"code","message","bizInfos","elapsedSpace"}`), also each value of `bizUrlToResponse`.
///
/// `code` is SOFAArk's own (`SUCCESS`, `FAILED`, `REPEAT_BIZ`, `NOT_FOUND_BIZ`, …). `bizInfos`
/// may be absent, `null` or empty, most of all on failures.
public struct ClientResponse: Sendable, Hashable, Codable {
    public var code: String
    public var message: String?
    public var bizInfos: [ArkBizInfo]
    public var elapsedSpace: Int64?

    public init(code: String, message: String? = nil, bizInfos: [ArkBizInfo] = [], elapsedSpace: Int64? = nil) {
        self.code = code
        self.message = message
        self.bizInfos = bizInfos
        self.elapsedSpace = elapsedSpace
    }

    enum CodingKeys: String, CodingKey { case code, message, bizInfos, elapsedSpace }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = container.lenientString(.code) ?? ""
        message = container.lenientString(.message)
        bizInfos = container.lenient([ArkBizInfo].self, .bizInfos) ?? []
        elapsedSpace = container.lenientInt64(.elapsedSpace)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encodeIfPresent(message, forKey: .message)
        if !bizInfos.isEmpty { try container.encode(bizInfos, forKey: .bizInfos) }
        try container.encodeIfPresent(elapsedSpace, forKey: .elapsedSpace)
    }
}
