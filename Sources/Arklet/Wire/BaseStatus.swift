/// A heartbeat: the `data` of T1 over MQTT and the body of `POST /heartbeat` over HTTP.
public struct BaseStatus: Sendable, Hashable, Codable {
    public var baseMetadata: BaseMetadata
    public var localIP: String
    public var localHostName: String
    /// The arklet HTTP port; `0` on MQTT heartbeats.
    public var port: Int
    /// `activated` from real arklets; mocks also send `ACTIVATED`/`DEACTIVATED`.
    public var state: String

    public init(baseMetadata: BaseMetadata, localIP: String, localHostName: String, port: Int, state: String) {
        self.baseMetadata = baseMetadata
        self.localIP = localIP
        self.localHostName = localHostName
        self.port = port
        self.state = state
    }

    /// Whether the base says it is up: `state` equals `ACTIVATED` ignoring case; anything else
    /// means the base is going away.
    public var isActivated: Bool { state.uppercased() == "ACTIVATED" }

    enum CodingKeys: String, CodingKey { case baseMetadata, localIP, localHostName, port, state }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        baseMetadata = try container.decode(BaseMetadata.self, forKey: .baseMetadata)
        localIP = container.lenientString(.localIP) ?? ""
        localHostName = container.lenientString(.localHostName) ?? ""
        port = container.lenientInt64(.port).map { Int(clamping: $0) } ?? 0
        state = container.lenientString(.state) ?? ""
    }
}
