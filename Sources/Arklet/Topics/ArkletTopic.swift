/// The kinds of message a base publishes under `koupleless_<env>/<id>/base/<kind>` (T1, T2, T8–T12).
public enum BaseReportKind: String, Sendable, Hashable, CaseIterable {
    /// T1 heartbeat.
    case heart
    /// T2 baseline request.
    case queryBaseline
    /// T8 answer to `health`.
    case health
    /// T9 answer to `queryAllBiz`.
    case simpleBiz
    /// T10 legacy full biz list.
    case biz
    /// T11 install/uninstall result.
    case bizOperation
    /// T12 batch install result.
    case batchInstallBizResponse

    /// Whether stale messages of this kind are dropped (T1, T2, T8–T10; results are not).
    public var isExpiryChecked: Bool {
        switch self {
        case .heart, .queryBaseline, .health, .simpleBiz, .biz: true
        case .bizOperation, .batchInstallBizResponse: false
        }
    }
}

/// A parsed arklet MQTT topic.
public enum ArkletTopic: Sendable, Hashable {
    /// `koupleless_<env>/<id>/<command>` (T4–T7, controller → base).
    case command(BaseIdentity, ArkletCommand)
    /// `koupleless_<env>/<id>/base/baseline` (T3, controller → base).
    case baseline(BaseIdentity)
    /// `koupleless_<env>/<id>/base/<kind>` (base → controller).
    case report(BaseIdentity, BaseReportKind)

    /// The base the topic belongs to: always the second level.
    public var identity: BaseIdentity {
        switch self {
        case .command(let identity, _), .baseline(let identity), .report(let identity, _): identity
        }
    }
}

/// Why a topic did not parse.
public enum TopicParseError: Error, Sendable, Hashable {
    /// Not under `koupleless_<env>/`, wrong number of levels, or an unknown report kind.
    case notArkletTopic
    /// The identity level is empty or contains a wildcard.
    case invalidIdentity(String)
}

/// Builds and parses the arklet topics of one environment (`koupleless_<env>/…`).
public struct ArkletTopics: Sendable, Hashable {
    /// The controller `ENV`; must equal the base's (lower-cased) runtime env.
    public let env: String

    public init(env: String) {
        self.env = env
    }

    /// `koupleless_<env>`.
    public var root: String { "koupleless_\(env)" }

    /// `koupleless_<env>/<id>/<command>` (T4–T7).
    public func command(_ command: ArkletCommand, for identity: BaseIdentity) -> String {
        "\(root)/\(identity.rawValue)/\(command.rawValue)"
    }

    /// `koupleless_<env>/<id>/base/baseline` (T3).
    public func baseline(for identity: BaseIdentity) -> String {
        "\(root)/\(identity.rawValue)/base/baseline"
    }

    /// `koupleless_<env>/<id>/base/<kind>` (T1, T2, T8–T12).
    public func report(_ kind: BaseReportKind, for identity: BaseIdentity) -> String {
        "\(root)/\(identity.rawValue)/base/\(kind.rawValue)"
    }

    /// The filters a controller subscribes to on every connect: one wildcard per report kind
    /// (`koupleless_<env>/+/base/heart`, …), so no per-base subscription can be lost.
    public var controllerSubscriptions: [String] {
        BaseReportKind.allCases.map { "\(root)/+/base/\($0.rawValue)" }
    }

    /// The filters a base subscribes to: its command topics and its baseline topic.
    public func baseSubscriptions(for identity: BaseIdentity) -> [String] {
        ["\(root)/\(identity.rawValue)/+", baseline(for: identity)]
    }

    /// Parses any arklet topic of this environment.
    public func parse(_ topic: String) throws(TopicParseError) -> ArkletTopic {
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard levels.count == 3 || levels.count == 4, levels[0] == root else { throw .notArkletTopic }
        let rawIdentity = String(levels[1])
        guard let identity = BaseIdentity(rawIdentity) else { throw .invalidIdentity(rawIdentity) }
        if levels.count == 3 {
            guard !levels[2].isEmpty else { throw .notArkletTopic }
            return .command(identity, ArkletCommand(rawValue: String(levels[2])))
        }
        guard levels[2] == "base" else { throw .notArkletTopic }
        if levels[3] == "baseline" { return .baseline(identity) }
        guard let kind = BaseReportKind(rawValue: String(levels[3])) else { throw .notArkletTopic }
        return .report(identity, kind)
    }
}
