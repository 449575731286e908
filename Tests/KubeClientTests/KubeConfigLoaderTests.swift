import CurlHTTP
import Foundation
import KubeClient
import Testing

@Suite struct KubeConfigLoaderTests {
    let directory: String

    init() throws {
        directory = NSTemporaryDirectory() + "kubeconfig-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = "\(directory)/\(name)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func readsTheCurrentContextWithInlineDataAndToken() throws {
        let ca = Data("CA".utf8).base64EncodedString()
        let path = try write("config", """
            apiVersion: v1
            kind: Config
            current-context: second
            clusters:
            - name: one
              cluster: {server: "https://one.example:6443"}
            - name: two
              cluster:
                server: https://127.0.0.1:6443/
                certificate-authority-data: \(ca)
            users:
            - name: admin
              user: {token: abc123}
            contexts:
            - name: first
              context: {cluster: one, user: admin}
            - name: second
              context: {cluster: two, user: admin, namespace: tenant}
            """)
        let configuration = try KubeConfigLoader(environment: [:], homeDirectory: nil).load(explicitPath: path)
        #expect(configuration.server == "https://127.0.0.1:6443")
        #expect(configuration.tls.caData == Data("CA".utf8))
        #expect(configuration.credentials == .token("abc123"))
        #expect(configuration.namespace == "tenant")
        #expect(configuration.source == path)
    }

    @Test func resolvesRelativeFilesAgainstTheKubeconfigDirectory() throws {
        _ = try write("ca.crt", "ca")
        _ = try write("client.crt", "crt")
        _ = try write("client.key", "key")
        _ = try write("token", "tok\n")
        let path = try write("relative", """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://h:1", certificate-authority: ca.crt}}]
            users: [{name: u, user: {client-certificate: client.crt, client-key: client.key, tokenFile: token}}]
            contexts: [{name: c, context: {cluster: k, user: u}}]
            """)
        let configuration = try KubeConfigLoader(environment: [:], homeDirectory: nil).load(explicitPath: path)
        #expect(configuration.tls.caFile == "\(directory)/ca.crt")
        #expect(configuration.tls.clientCertificateFile == "\(directory)/client.crt")
        #expect(configuration.tls.clientKeyFile == "\(directory)/client.key")
        #expect(configuration.credentials == .tokenFile("\(directory)/token"))
        #expect(configuration.namespace == "default")
    }

    @Test func errorsNameTheFileAndTheField() throws {
        let missingContext = try write("nocontext", "clusters: []\n")
        let error1 = #expect(throws: KubeConfigError.self) {
            try KubeConfigLoader(environment: [:], homeDirectory: nil).load(explicitPath: missingContext)
        }
        #expect(error1?.message.contains(missingContext) == true)
        #expect(error1?.message.contains("current-context") == true)

        let badFile = try write("badca", """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://h:1", certificate-authority: /nonexistent/ca.crt}}]
            contexts: [{name: c, context: {cluster: k}}]
            """)
        let error2 = #expect(throws: KubeConfigError.self) {
            try KubeConfigLoader(environment: [:], homeDirectory: nil).load(explicitPath: badFile)
        }
        #expect(error2?.message.contains("clusters[k].certificate-authority") == true)

        let notYAML = try write("garbage", "clusters: {{{")
        let error3 = #expect(throws: KubeConfigError.self) {
            try KubeConfigLoader(environment: [:], homeDirectory: nil).load(explicitPath: notYAML)
        }
        #expect(error3?.message.contains(notYAML) == true)
    }

    @Test func followsTheResolutionOrder() throws {
        let fromVariable = try write("env", """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://from-env:1"}}]
            contexts: [{name: c, context: {cluster: k}}]
            """)
        let home = "\(directory)/home"
        try FileManager.default.createDirectory(atPath: "\(home)/.kube", withIntermediateDirectories: true)
        try """
            current-context: c
            clusters: [{name: k, cluster: {server: "https://from-home:1"}}]
            contexts: [{name: c, context: {cluster: k}}]
            """.write(toFile: "\(home)/.kube/config", atomically: true, encoding: .utf8)
        let serviceAccount = "\(directory)/sa"
        try FileManager.default.createDirectory(atPath: serviceAccount, withIntermediateDirectories: true)
        try "sa-token".write(toFile: "\(serviceAccount)/token", atomically: true, encoding: .utf8)
        try "controllers".write(toFile: "\(serviceAccount)/namespace", atomically: true, encoding: .utf8)

        let all = KubeConfigLoader(
            environment: ["KUBECONFIG": "/nonexistent:\(fromVariable)", "KUBERNETES_SERVICE_HOST": "10.0.0.1",
                "KUBERNETES_SERVICE_PORT": "443"],
            serviceAccountDirectory: serviceAccount, homeDirectory: home)
        #expect(try all.load().server == "https://from-env:1")
        let inCluster = KubeConfigLoader(
            environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"],
            serviceAccountDirectory: serviceAccount, homeDirectory: home)
        let configuration = try inCluster.load()
        #expect(configuration.server == "https://10.0.0.1:443")
        #expect(configuration.credentials == .tokenFile("\(serviceAccount)/token"))
        #expect(configuration.namespace == "controllers")
        let homeOnly = KubeConfigLoader(environment: [:], serviceAccountDirectory: serviceAccount, homeDirectory: home)
        #expect(try homeOnly.load().server == "https://from-home:1")
        #expect(throws: KubeConfigError.self) {
            try KubeConfigLoader(environment: [:], serviceAccountDirectory: "/nonexistent", homeDirectory: nil).load()
        }
    }
}
