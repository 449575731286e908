import ArgumentParser
import KubeClient
import Logging

/// The `module-controller` command: turns Koupleless bases into virtual nodes and module pods into
/// installed modules.
@main
struct ModuleControllerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "module-controller",
        abstract: "Koupleless module controller: virtual nodes for bases, module pods as Ark biz installs."
    )

    @Option(help: "Path of a kubeconfig file. Default: $KUBECONFIG, then the in-cluster service account, then ~/.kube/config.")
    var kubeconfig: String?

    func run() async throws {
        let logger = Logger(label: "module-controller")
        logger.info("module-controller starting")
    }
}
