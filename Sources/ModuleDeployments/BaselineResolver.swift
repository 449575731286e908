import Foundation
import Arklet
import KubeClient

/// Answers a base's baseline query: the modules a base of a cluster should run, taken from the
/// module Deployments of this ENV (contract §5, reference §5.3): every container of every
/// Deployment labelled `virtual-kubelet.koupleless.io/env=<ENV>` whose cluster name equals the
/// base's, oldest Deployment first, containers in order.
public struct BaselineResolver: Sendable {
    public let env: String

    public init(env: String) {
        self.env = env
    }

    public func baseline(clusterName: String, deployments: [Deployment]) -> [BizModel] {
        guard !clusterName.isEmpty else { return [] }
        let selected = deployments.filter { deployment in
            deployment.metadata.labels?[ModuleDeploymentLabels.env] == env
                && ModuleDeploymentLabels.clusterName(of: deployment) == clusterName
                && deployment.metadata.deletionTimestamp == nil
        }
        let ordered = selected.sorted { left, right in
            let leftTime = left.metadata.creationTimestamp?.date ?? .distantPast
            let rightTime = right.metadata.creationTimestamp?.date ?? .distantPast
            if leftTime != rightTime { return leftTime < rightTime }
            return (left.metadata.namespace ?? "", left.metadata.name ?? "") < (right.metadata.namespace ?? "", right.metadata.name ?? "")
        }
        return ordered.flatMap { deployment in
            (deployment.spec?.template.spec?.containers ?? []).map { container in
                BizModel(
                    bizName: container.name, bizVersion: container.environmentValue("BIZ_VERSION") ?? "",
                    bizUrl: container.image ?? "")
            }
        }
    }
}
