import Arklet
import KubeClient
import KubeRuntime
import Logging
import ModuleDeployments
import VirtualKubelet

/// Answers bases' baseline queries from a cache of this ENV's module Deployments (the same cache
/// the peer replica sync keeps, when it runs).
public final class DeploymentBaselines: BaselineProvider {
    public let deployments: ObjectStore<Deployment>
    private let resolver: BaselineResolver

    public init(deployments: ObjectStore<Deployment>, env: String) {
        self.deployments = deployments
        resolver = BaselineResolver(env: env)
    }

    public func baseline(for metadata: BaseMetadata) async throws -> [BizModel] {
        try await deployments.waitUntilSynced()
        return resolver.baseline(clusterName: metadata.clusterName, deployments: deployments.list())
    }
}
