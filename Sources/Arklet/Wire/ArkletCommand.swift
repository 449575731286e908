/// An arklet command name: the last level of a command topic (T4–T7) and the path of an HTTP
/// command (`/installBiz`). Unknown names are representable so that a base can answer them
/// with `CMD_NOT_FOUND`.
public struct ArkletCommand: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public var rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public static let health = ArkletCommand(rawValue: "health")
    public static let queryAllBiz = ArkletCommand(rawValue: "queryAllBiz")
    public static let installBiz = ArkletCommand(rawValue: "installBiz")
    public static let uninstallBiz = ArkletCommand(rawValue: "uninstallBiz")
    /// HTTP only; over MQTT a batch install is the base's reaction to a baseline reply.
    public static let batchInstallBiz = ArkletCommand(rawValue: "batchInstallBiz")

    /// The commands a base accepts on its MQTT command topic.
    public static let mqttCommands: Set<ArkletCommand> = [.health, .queryAllBiz, .installBiz, .uninstallBiz]

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
