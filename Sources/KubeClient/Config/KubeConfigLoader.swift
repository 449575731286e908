import CurlHTTP
import Foundation
import Yams

/// Finds and reads the Kubernetes client configuration in the standard order: an explicit
/// `--kubeconfig` path, `$KUBECONFIG`, the in-cluster service account, `~/.kube/config`.
public struct KubeConfigLoader: Sendable {
    public var environment: [String: String]
    public var serviceAccountDirectory: String
    public var homeDirectory: String?

    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceAccountDirectory: String = "/var/run/secrets/kubernetes.io/serviceaccount",
        homeDirectory: String? = ProcessInfo.processInfo.environment["HOME"]
    ) {
        self.environment = environment
        self.serviceAccountDirectory = serviceAccountDirectory
        self.homeDirectory = homeDirectory
    }

    /// Resolves the configuration; `explicitPath` is the `--kubeconfig` flag.
    public func load(explicitPath: String? = nil) throws -> KubeConfiguration {
        if let explicitPath, !explicitPath.isEmpty {
            return try loadFile(explicitPath)
        }
        if let variable = environment["KUBECONFIG"], !variable.isEmpty {
            let paths = variable.split(separator: ":").map(String.init).filter { !$0.isEmpty }
            guard let path = paths.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                throw KubeConfigError("KUBECONFIG is set to \"\(variable)\" but none of its files exists")
            }
            return try loadFile(path)
        }
        if let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty {
            return try loadInCluster(host: host, port: environment["KUBERNETES_SERVICE_PORT"] ?? "443")
        }
        if let home = homeDirectory {
            let path = "\(home)/.kube/config"
            if FileManager.default.fileExists(atPath: path) { return try loadFile(path) }
        }
        throw KubeConfigError(
            "no Kubernetes configuration found: pass --kubeconfig, set KUBECONFIG, run in a pod with a service account, or create ~/.kube/config"
        )
    }

    /// The in-cluster service account: `KUBERNETES_SERVICE_HOST`/`PORT`, its token (re-read as it
    /// rotates), CA and namespace files.
    public func loadInCluster(host: String, port: String) throws -> KubeConfiguration {
        let tokenPath = "\(serviceAccountDirectory)/token"
        let caPath = "\(serviceAccountDirectory)/ca.crt"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw KubeConfigError("in-cluster configuration: service account token \(tokenPath) is missing or unreadable")
        }
        let namespace = (try? String(contentsOfFile: "\(serviceAccountDirectory)/namespace", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let hostPart = host.contains(":") ? "[\(host)]" : host
        var tls = TLSOptions()
        if FileManager.default.isReadableFile(atPath: caPath) { tls.caFile = caPath }
        return KubeConfiguration(
            server: "https://\(hostPart):\(port)", tls: tls, credentials: .tokenFile(tokenPath),
            namespace: namespace?.isEmpty == false ? namespace! : "default", source: "in-cluster service account")
    }

    /// Reads one kubeconfig file and resolves its current context.
    public func loadFile(_ path: String) throws -> KubeConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw KubeConfigError("kubeconfig \(path): cannot be read (\(error.localizedDescription))")
        }
        let document: KubeConfigDocument
        do {
            document = try YAMLDecoder().decode(KubeConfigDocument.self, from: text)
        } catch {
            throw KubeConfigError("kubeconfig \(path): not a valid kubeconfig (\(Self.describe(error)))")
        }
        return try resolve(document, path: path)
    }

    func resolve(_ document: KubeConfigDocument, path: String) throws -> KubeConfiguration {
        let directory = (path as NSString).deletingLastPathComponent
        func resolvePath(_ file: String) -> String {
            file.hasPrefix("/") ? file : (directory as NSString).appendingPathComponent(file)
        }
        func decodeBase64(_ text: String, field: String) throws -> Data {
            guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                throw KubeConfigError("kubeconfig \(path): \(field) is not valid base64")
            }
            return data
        }
        guard let contextName = document.currentContext, !contextName.isEmpty else {
            throw KubeConfigError("kubeconfig \(path): current-context is not set; set it with `kubectl config use-context`")
        }
        guard let context = document.contexts?.first(where: { $0.name == contextName })?.context else {
            throw KubeConfigError("kubeconfig \(path): current-context \"\(contextName)\" names no entry of contexts")
        }
        guard let clusterName = context.cluster,
            let cluster = document.clusters?.first(where: { $0.name == clusterName })?.cluster
        else {
            throw KubeConfigError(
                "kubeconfig \(path): context \"\(contextName)\" names cluster \"\(context.cluster ?? "")\", which is not in clusters")
        }
        guard let server = cluster.server, !server.isEmpty else {
            throw KubeConfigError("kubeconfig \(path): cluster \"\(clusterName)\" has no server")
        }
        guard server.hasPrefix("https://") || server.hasPrefix("http://") else {
            throw KubeConfigError("kubeconfig \(path): cluster \"\(clusterName)\" server \"\(server)\" is not an http(s) URL")
        }
        var tls = TLSOptions(insecureSkipVerify: cluster.insecureSkipTLSVerify ?? false)
        if let data = cluster.certificateAuthorityData {
            tls.caData = try decodeBase64(data, field: "clusters[\(clusterName)].certificate-authority-data")
        } else if let file = cluster.certificateAuthority {
            tls.caFile = try requireFile(resolvePath(file), field: "clusters[\(clusterName)].certificate-authority", path: path)
        }
        var credentials = KubeConfiguration.Credentials.none
        if let userName = context.user, !userName.isEmpty {
            guard let user = document.users?.first(where: { $0.name == userName })?.user else {
                throw KubeConfigError("kubeconfig \(path): context \"\(contextName)\" names user \"\(userName)\", which is not in users")
            }
            if let data = user.clientCertificateData {
                tls.clientCertificateData = try decodeBase64(data, field: "users[\(userName)].client-certificate-data")
            } else if let file = user.clientCertificate {
                tls.clientCertificateFile = try requireFile(
                    resolvePath(file), field: "users[\(userName)].client-certificate", path: path)
            }
            if let data = user.clientKeyData {
                tls.clientKeyData = try decodeBase64(data, field: "users[\(userName)].client-key-data")
            } else if let file = user.clientKey {
                tls.clientKeyFile = try requireFile(resolvePath(file), field: "users[\(userName)].client-key", path: path)
            }
            if (tls.clientCertificateData != nil || tls.clientCertificateFile != nil)
                != (tls.clientKeyData != nil || tls.clientKeyFile != nil)
            {
                throw KubeConfigError(
                    "kubeconfig \(path): user \"\(userName)\" has a client certificate without a key, or a key without a certificate")
            }
            if let token = user.token, !token.isEmpty {
                credentials = .token(token)
            } else if let file = user.tokenFile, !file.isEmpty {
                credentials = .tokenFile(try requireFile(resolvePath(file), field: "users[\(userName)].tokenFile", path: path))
            } else if let username = user.username, let password = user.password {
                credentials = .basic(username: username, password: password)
            } else if user.exec != nil || user.authProvider != nil {
                throw KubeConfigError(
                    "kubeconfig \(path): user \"\(userName)\" uses exec or auth-provider credentials, which module-controller does not run; use a token, tokenFile or client certificate"
                )
            }
        }
        return KubeConfiguration(
            server: server, tls: tls, credentials: credentials, namespace: context.namespace ?? "default", source: path)
    }

    private func requireFile(_ file: String, field: String, path: String) throws -> String {
        guard FileManager.default.isReadableFile(atPath: file) else {
            throw KubeConfigError("kubeconfig \(path): \(field) names \(file), which does not exist or cannot be read")
        }
        return file
    }

    private static func describe(_ error: any Error) -> String {
        if case DecodingError.typeMismatch(_, let context) = error {
            return "field \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        }
        if case DecodingError.keyNotFound(let key, let context) = error {
            return "missing field \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        }
        if case DecodingError.dataCorrupted(let context) = error {
            return "field \(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        }
        return "\(error)"
    }
}

/// The parts of a kubeconfig file we read.
struct KubeConfigDocument: Decodable {
    struct NamedCluster: Decodable {
        var name: String
        var cluster: Cluster?
    }
    struct Cluster: Decodable {
        var server: String?
        var certificateAuthority: String?
        var certificateAuthorityData: String?
        var insecureSkipTLSVerify: Bool?

        enum CodingKeys: String, CodingKey {
            case server
            case certificateAuthority = "certificate-authority"
            case certificateAuthorityData = "certificate-authority-data"
            case insecureSkipTLSVerify = "insecure-skip-tls-verify"
        }
    }
    struct NamedUser: Decodable {
        var name: String
        var user: User?
    }
    struct User: Decodable {
        var token: String?
        var tokenFile: String?
        var clientCertificate: String?
        var clientCertificateData: String?
        var clientKey: String?
        var clientKeyData: String?
        var username: String?
        var password: String?
        var exec: Present?
        var authProvider: Present?

        enum CodingKeys: String, CodingKey {
            case token, tokenFile, username, password, exec
            case clientCertificate = "client-certificate"
            case clientCertificateData = "client-certificate-data"
            case clientKey = "client-key"
            case clientKeyData = "client-key-data"
            case authProvider = "auth-provider"
        }
    }
    struct NamedContext: Decodable {
        var name: String
        var context: Context?
    }
    struct Context: Decodable {
        var cluster: String?
        var user: String?
        var namespace: String?
    }

    /// Any value, only recorded as present.
    struct Present: Decodable {
        init(from decoder: any Decoder) throws {}
    }

    var clusters: [NamedCluster]?
    var users: [NamedUser]?
    var contexts: [NamedContext]?
    var currentContext: String?

    enum CodingKeys: String, CodingKey {
        case clusters, users, contexts
        case currentContext = "current-context"
    }
}
