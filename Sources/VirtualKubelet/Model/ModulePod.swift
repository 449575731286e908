import Arklet
import KubeClient

/// How a module pod maps to bizzes (reference §4.1–4.2): every container is one biz, named after
/// the container, versioned by its `BIZ_VERSION` env, installed from its image URL.
public enum ModulePod {
    /// Whether `pod` is a module pod: labelled `virtual-kubelet.koupleless.io/component=module`, or
    /// with the older key `module-controller.koupleless.io/component=module`.
    public static func isModulePod(_ pod: Pod) -> Bool {
        let labels = pod.metadata.labels ?? [:]
        return labels[KouplelessKeys.component] == KouplelessKeys.moduleComponent
            || labels[KouplelessKeys.legacyComponent] == KouplelessKeys.moduleComponent
    }

    /// The biz of one container.
    public static func biz(of container: Container) -> BizModel {
        BizModel(bizName: container.name, bizVersion: container.environmentValue(KouplelessKeys.bizVersionEnv) ?? "",
                 bizUrl: container.image ?? "")
    }

    /// The bizzes of a pod, in container order.
    public static func bizzes(of pod: Pod) -> [BizModel] {
        (pod.spec?.containers ?? []).map(biz(of:))
    }

    /// Whether the pod still wants its bizzes: not being deleted and not finished.
    public static func isLive(_ pod: Pod) -> Bool {
        guard pod.metadata.deletionTimestamp == nil else { return false }
        return !isTerminal(pod)
    }

    /// Whether the pod reached `Succeeded` or `Failed`.
    public static func isTerminal(_ pod: Pod) -> Bool {
        let phase = pod.status?.phase
        return phase == "Succeeded" || phase == "Failed"
    }

    /// What is wrong with a container as a biz, in words that say what to change; `nil` when fine.
    public static func problem(with container: Container) -> String? {
        let biz = biz(of: container)
        if biz.bizVersion.isEmpty {
            return "container \(container.name) has no \(KouplelessKeys.bizVersionEnv) env value: set it to the biz version"
        }
        if biz.bizUrl.isEmpty {
            return "container \(container.name) has no image: set it to the URL of the biz jar"
        }
        return nil
    }

    /// `namespace/name` of a pod, for logs.
    public static func reference(_ pod: Pod) -> String {
        "\(pod.metadata.namespace ?? "")/\(pod.metadata.name ?? "")"
    }
}
