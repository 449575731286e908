import Foundation

/// The result of one install or uninstall, correlated by ``key``.
public struct BizOperationOutcome: Sendable, Hashable {
    /// `installBiz` or `uninstallBiz`.
    public var command: ArkletCommand
    public var key: BizKey
    /// The arklet code (`SUCCESS`, `FAILED`, `CMD_NOT_FOUND`, …).
    public var code: ArkletResponseCode
    /// The arklet message (on failures the exception message).
    public var message: String?
    /// SOFAArk's ClientResponse code (`SUCCESS`, `REPEAT_BIZ`, `NOT_FOUND_BIZ`, …), when sent.
    public var clientCode: String?
    /// SOFAArk's message (on exceptions the stack trace), when sent.
    public var clientMessage: String?
    /// The bizzes the operation touched, as SOFAArk reported them.
    public var bizInfos: [ArkBizInfo]
    public var reportedAt: Date

    public init(command: ArkletCommand, key: BizKey, code: ArkletResponseCode, message: String? = nil,
                clientCode: String? = nil, clientMessage: String? = nil, bizInfos: [ArkBizInfo] = [], reportedAt: Date) {
        self.command = command
        self.key = key
        self.code = code
        self.message = message
        self.clientCode = clientCode
        self.clientMessage = clientMessage
        self.bizInfos = bizInfos
        self.reportedAt = reportedAt
    }

    /// From a T11 payload.
    public init(_ result: BizOperationResult, reportedAt: Date) {
        self.init(command: result.command, key: result.key, response: result.response, reportedAt: reportedAt)
    }

    /// From an arklet install/uninstall answer (HTTP, or T11's `response`).
    public init(command: ArkletCommand, key: BizKey, response: ArkletResponse<ClientResponse>, reportedAt: Date) {
        self.init(command: command, key: key, code: response.code, message: response.message,
                  clientCode: response.data?.code, clientMessage: response.data?.message,
                  bizInfos: response.data?.bizInfos ?? [], reportedAt: reportedAt)
    }

    public var isSuccess: Bool { code.isSuccess }

    /// The arklet refused because another operation on the same biz key was running; worth retrying.
    public var isConflict: Bool {
        !isSuccess && [message, clientMessage].contains { $0?.lowercased().contains("conflict") == true }
    }

    /// The most useful human-readable explanation available.
    public var summary: String {
        [message, clientMessage].compactMap { $0 }.first { !$0.isEmpty } ?? code.rawValue
    }
}

/// The result of a batch install (T12 over MQTT, `batchInstallBiz` over HTTP).
public struct BatchInstallOutcome: Sendable, Hashable {
    public var code: ArkletResponseCode
    public var message: String?
    /// One entry per biz URL, ordered by URL.
    public var entries: [Entry]
    public var reportedAt: Date

    /// The result for one requested biz.
    public struct Entry: Sendable, Hashable {
        public var bizUrl: String
        /// From `bizInfos[0]` when the base sent it, else from the request we sent for that URL;
        /// `nil` when neither is known.
        public var key: BizKey?
        /// The state the base reported, when it sent `bizInfos`.
        public var state: ArkState?
        /// SOFAArk's code for this biz.
        public var clientCode: String
        public var message: String?

        public init(bizUrl: String, key: BizKey?, state: ArkState?, clientCode: String, message: String?) {
            self.bizUrl = bizUrl
            self.key = key
            self.state = state
            self.clientCode = clientCode
            self.message = message
        }

        public var isSuccess: Bool { clientCode == "SUCCESS" }
    }

    public init(code: ArkletResponseCode, message: String?, entries: [Entry], reportedAt: Date) {
        self.code = code
        self.message = message
        self.entries = entries
        self.reportedAt = reportedAt
    }

    /// From an arklet batch answer; `requested` (by URL) fills in keys the base left out, which it
    /// does for failed entries (empty or `null` `bizInfos`).
    public init(_ response: ArkletResponse<BatchInstallResponse>, requested: [String: BizModel], reportedAt: Date) {
        let perURL = response.data?.bizUrlToResponse ?? [:]
        let entries = perURL.keys.sorted().map { url -> Entry in
            let item = perURL[url]!
            let info = item.bizInfos.first
            return Entry(bizUrl: url, key: info?.key ?? requested[url]?.key, state: info?.bizState,
                         clientCode: item.code, message: item.message)
        }
        self.init(code: response.code, message: response.message ?? response.data?.message,
                  entries: entries, reportedAt: reportedAt)
    }
}
