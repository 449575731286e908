import Foundation

/// How to reach the MQTT broker, mirroring the upstream environment variables
/// (`MQTT_BROKER`, `MQTT_PORT`, `MQTT_USERNAME`, `MQTT_PASSWORD`, `MQTT_CLIENT_PREFIX`,
/// `MQTT_CA_PATH`, `MQTT_CLIENT_CRT_PATH`, `MQTT_CLIENT_KEY_PATH`, `ENV`, `CLIENT_ID`) with the
/// upstream defaults.
///
/// Unlike upstream, TLS (enabled by a non-empty ``caPath``) verifies the broker's certificate.
public struct MQTTConfiguration: Sendable, Hashable {
    public var broker: String
    public var port: Int
    public var username: String
    public var password: String
    /// Client ids are `<clientPrefix>@@@<clientID>`.
    public var clientPrefix: String
    /// CA certificate file (or directory of hashed certificates); non-empty enables TLS.
    public var caPath: String
    public var clientCertificatePath: String
    public var clientKeyPath: String
    /// Topic prefix `koupleless_<env>`.
    public var env: String
    /// The controller replica identity (or, for a simulated base, its base identity).
    public var clientID: String
    /// MQTT keep-alive.
    public var keepAlive: Duration
    /// How long one connection attempt may wait for CONNACK and SUBACKs once the TCP (and TLS)
    /// connection is up; the blocking TCP connect itself is bounded by the operating system.
    public var connectTimeout: Duration
    public var reconnectBackoff: ReconnectBackoff
    /// Larger incoming payloads are dropped unread.
    public var maxPayloadBytes: Int

    public init(broker: String = "test-broker", port: Int = 1883, username: String = "test-username",
                password: String = "", clientPrefix: String = "koupleless", caPath: String = "",
                clientCertificatePath: String = "", clientKeyPath: String = "", env: String = "dev",
                clientID: String = UUID().uuidString.lowercased(), keepAlive: Duration = .seconds(60),
                connectTimeout: Duration = .seconds(10), reconnectBackoff: ReconnectBackoff = ReconnectBackoff(),
                maxPayloadBytes: Int = 4 << 20) {
        self.broker = broker
        self.port = port
        self.username = username
        self.password = password
        self.clientPrefix = clientPrefix
        self.caPath = caPath
        self.clientCertificatePath = clientCertificatePath
        self.clientKeyPath = clientKeyPath
        self.env = env
        self.clientID = clientID
        self.keepAlive = keepAlive
        self.connectTimeout = connectTimeout
        self.reconnectBackoff = reconnectBackoff
        self.maxPayloadBytes = maxPayloadBytes
    }

    /// `<clientPrefix>@@@<clientID>`, the form brokers' ACLs may rely on.
    public var clientIdentifier: String { "\(clientPrefix)@@@\(clientID)" }

    /// Whether the connection uses TLS.
    public var usesTLS: Bool { !caPath.isEmpty }

    /// The topics of this configuration's environment.
    public var topics: ArkletTopics { ArkletTopics(env: env) }

    /// Reads the upstream environment variables; unset ones keep their defaults. A non-numeric
    /// `MQTT_PORT` is an error (upstream silently used port 0).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(ConfigurationError) -> MQTTConfiguration
    {
        var configuration = MQTTConfiguration()
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        if let broker = value("MQTT_BROKER") { configuration.broker = broker }
        if let text = value("MQTT_PORT") {
            guard let port = Int(text), (1...65_535).contains(port) else {
                throw ConfigurationError(variable: "MQTT_PORT", value: text, expected: "a TCP port number")
            }
            configuration.port = port
        }
        if let username = value("MQTT_USERNAME") { configuration.username = username }
        if let password = environment["MQTT_PASSWORD"] { configuration.password = password }
        if let prefix = value("MQTT_CLIENT_PREFIX") { configuration.clientPrefix = prefix }
        if let path = value("MQTT_CA_PATH") { configuration.caPath = path }
        if let path = value("MQTT_CLIENT_CRT_PATH") { configuration.clientCertificatePath = path }
        if let path = value("MQTT_CLIENT_KEY_PATH") { configuration.clientKeyPath = path }
        if let env = value("ENV") {
            guard BaseIdentity.isValid(env) else {
                throw ConfigurationError(variable: "ENV", value: env, expected: "usable in an MQTT topic level (no '/', '+', '#')")
            }
            configuration.env = env
        }
        if let clientID = value("CLIENT_ID") { configuration.clientID = clientID }
        return configuration
    }
}

/// An environment variable or option with an unusable value.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var variable: String
    public var value: String
    public var expected: String

    public init(variable: String, value: String, expected: String) {
        self.variable = variable
        self.value = value
        self.expected = expected
    }

    public var description: String { "\(variable)=\(value.debugDescription) is not \(expected)" }
}
