import Foundation

/// One biz as a base reported it, normalised from T9 `simpleBiz`, legacy T10 `biz` and HTTP
/// `queryAllBiz`. The base's own master biz is never an entry.
public struct BizStatusEntry: Sendable, Hashable {
    public var key: BizKey
    public var state: ArkState
    /// When the state last changed, from the latest state record with a positive `changeTime`;
    /// `nil` when the base sent none (use the report's time then).
    public var changeTime: Date?
    public var reason: String?
    public var message: String?

    public init(key: BizKey, state: ArkState, changeTime: Date? = nil, reason: String? = nil, message: String? = nil) {
        self.key = key
        self.state = state
        self.changeTime = changeTime
        self.reason = reason
        self.message = message
    }

    /// From a T9 element.
    public init(_ info: SimpleBizInfo) {
        let record = info.latestStateRecord.flatMap { $0.changeTime > 0 ? $0 : nil }
        self.init(key: info.key, state: info.state,
                  changeTime: record.map { Date(epochMilliseconds: $0.changeTime) },
                  reason: record?.reason, message: record?.message)
    }

    /// From a T10 / HTTP `queryAllBiz` element.
    public init(_ info: ArkBizInfo) {
        let record = BizStateRecord.latest(of: info.bizStateRecords ?? [])
        self.init(key: info.key, state: info.bizState,
                  changeTime: record.map { Date(epochMilliseconds: $0.changeTime) },
                  reason: record?.reason, message: record?.message)
    }

    /// Entries for a full biz list, leaving out the base's master biz (main class `embed main`).
    public static func entries(from infos: [ArkBizInfo]) -> [BizStatusEntry] {
        infos.filter { $0.mainClass != ArkBizInfo.masterBizMainClass }.map(BizStatusEntry.init)
    }
}

/// A base's full biz list at one moment (answer to `queryAllBiz`).
public struct BizListReport: Sendable, Hashable {
    public var bizzes: [BizStatusEntry]
    /// When the base produced the list (envelope `publishTimestamp` over MQTT, receipt time over HTTP).
    public var reportedAt: Date

    public init(bizzes: [BizStatusEntry], reportedAt: Date) {
        self.bizzes = bizzes
        self.reportedAt = reportedAt
    }
}

/// A base's answer to `health`.
public struct HealthReport: Sendable, Hashable {
    /// `SUCCESS` when the figures are meaningful; anything else is to be ignored.
    public var code: ArkletResponseCode
    public var message: String?
    public var healthData: HealthData?
    public var reportedAt: Date

    public init(code: ArkletResponseCode, message: String? = nil, healthData: HealthData?, reportedAt: Date) {
        self.code = code
        self.message = message
        self.healthData = healthData
        self.reportedAt = reportedAt
    }

    /// From an arklet `health` answer.
    public init(_ response: ArkletResponse<HealthResponseData>, reportedAt: Date) {
        self.init(code: response.code, message: response.message, healthData: response.data?.healthData, reportedAt: reportedAt)
    }
}
