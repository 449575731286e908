import Arklet
import KubeClient
import KubeRuntime
import Logging
import ModuleDeployments
import VirtualKubelet

/// Answers bases' baseline queries from a cache of this ENV's module Deployments.
public final class DeploymentBaselines: BaselineProvider {
    public let informer: Informer<Deployment>
    private let resolver: BaselineResolver

    public init(client: KubernetesClient, env: String, logger: Logger) {
        informer = Informer(
            client: client, labelSelector: LabelSelector(matching: [ModuleDeploymentLabels.env: env]), logger: logger)
        resolver = BaselineResolver(env: env)
    }

    public func baseline(for metadata: BaseMetadata) async throws -> [BizModel] {
        await informer.store.waitUntilSynced()
        return resolver.baseline(clusterName: metadata.clusterName, deployments: informer.store.list())
    }
}
