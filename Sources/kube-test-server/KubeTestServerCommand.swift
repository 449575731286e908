import ArgumentParser
import Foundation
import KubeTestServer
import Logging
import UnixSignals

/// `kube-test-server`: the in-repo test API server as a process, for demos and local runs of the
/// controller without a cluster. Writes a kubeconfig that points at it.
@main
struct KubeTestServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kube-test-server",
        abstract: "Runs the in-repo Kubernetes test API server on loopback (not a real cluster: for demos and tests)."
    )

    @Option(help: "Port on 127.0.0.1 (0 picks a free one).")
    var port = 0

    @Option(help: "Bearer token clients must send.")
    var token = "module-controller-demo"

    @Option(help: "Where to write a kubeconfig for this server.")
    var kubeconfigOut = "kube-test-server.kubeconfig"

    func run() async throws {
        let logger = Logger(label: "kube-test-server")
        let server = try await KubeTestServer.start(KubeTestServerConfiguration(token: token, port: port), logger: logger)
        let kubeconfig = server.kubeconfig(token: token)
        try kubeconfig.write(toFile: kubeconfigOut, atomically: true, encoding: .utf8)
        logger.info("listening", metadata: ["url": "\(server.baseURL)", "kubeconfig": "\(kubeconfigOut)"])
        // Serve until SIGINT/SIGTERM.
        for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { break }
        await server.shutdown()
    }
}
