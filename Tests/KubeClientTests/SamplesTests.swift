import Foundation
import KubeClient
import Testing
import Yams

/// The manifests in `samples/` are what users copy: each must produce module pods the controller
/// accepts (module label, both vnode tolerations, one biz per container with a version and a URL).
@Suite struct SamplesTests {
    static let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("samples")

    func podSpecs() throws -> [(String, ObjectMeta?, PodSpec?)] {
        var result: [(String, ObjectMeta?, PodSpec?)] = []
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.samples.path).filter { $0.hasSuffix(".yaml") }
        #expect(files.count >= 3)
        for file in files.sorted() {
            let text = try String(contentsOf: Self.samples.appendingPathComponent(file), encoding: .utf8)
            let kind = try #require((try Yams.load(yaml: text) as? [String: Any])?["kind"] as? String, "\(file) has no kind")
            switch kind {
            case "Pod":
                let pod = try YAMLDecoder().decode(Pod.self, from: text)
                result.append((file, pod.metadata, pod.spec))
            case "Deployment":
                let deployment = try YAMLDecoder().decode(Deployment.self, from: text)
                result.append((file, deployment.spec?.template.metadata, deployment.spec?.template.spec))
            case "DaemonSet":
                struct DaemonSet: Decodable { struct Spec: Decodable { var template: PodTemplateSpec }; var spec: Spec }
                let daemonSet = try YAMLDecoder().decode(DaemonSet.self, from: text)
                result.append((file, daemonSet.spec.template.metadata, daemonSet.spec.template.spec))
            default:
                Issue.record("\(file): unexpected kind \(kind)")
            }
        }
        return result
    }

    @Test func everySampleMakesModulePodsTheControllerAccepts() throws {
        for (file, metadata, spec) in try podSpecs() {
            #expect(metadata?.labels?["virtual-kubelet.koupleless.io/component"] == "module", "\(file)")
            let tolerations = spec?.tolerations ?? []
            #expect(tolerations.contains { $0.key == "schedule.koupleless.io/virtual-node" && $0.value == "True" && $0.effect == "NoExecute" }, "\(file)")
            #expect(tolerations.contains { $0.key == "schedule.koupleless.io/node-env" && $0.effect == "NoExecute" }, "\(file)")
            for container in spec?.containers ?? [] {
                #expect(container.environmentValue("BIZ_VERSION")?.isEmpty == false, "\(file): \(container.name) needs BIZ_VERSION")
                #expect(container.image?.hasSuffix(".jar") == true, "\(file): \(container.name) image must be the biz jar URL")
            }
        }
    }

    /// A required pod anti-affinity on the app alone would leave the surge pod of a rolling update
    /// nowhere to go when every base runs the old version: it must also select the version.
    @Test func theDeploymentsAntiAffinityKeepsApartOnlyPodsOfOneVersion() throws {
        let text = try String(contentsOf: Self.samples.appendingPathComponent("module-deployment.yaml"), encoding: .utf8)
        let deployment = try YAMLDecoder().decode(Deployment.self, from: text)
        let template = try #require(deployment.spec?.template)
        let version = try #require(template.spec?.containers.first?.environmentValue("BIZ_VERSION"))
        #expect(template.metadata?.labels?["app.kubernetes.io/version"] == version)
        guard case .array(let terms)? = template.spec?.affinity?["podAntiAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"]
        else {
            Issue.record("no required pod anti-affinity")
            return
        }
        let selector = terms.first?["labelSelector"]?["matchLabels"]
        #expect(selector?["app.kubernetes.io/version"] == .string(version))
        #expect(selector?["app"] == .string("biz1"))
    }
}
