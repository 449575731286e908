import Arklet
import KubeClient
import Testing
@testable import VirtualKubelet

@Suite struct ModulePodTests {
    @Test func bothModuleLabelKeysSelectAPod() {
        let current = Fixtures.pod("a", containers: [])
        let legacy = Fixtures.pod("b", containers: [], labels: ["module-controller.koupleless.io/component": "module"])
        let other = Fixtures.pod("c", containers: [], labels: ["virtual-kubelet.koupleless.io/component": "vnode"])
        #expect(ModulePod.isModulePod(current))
        #expect(ModulePod.isModulePod(legacy))
        #expect(!ModulePod.isModulePod(other))
    }

    @Test func everyContainerIsOneBiz() {
        let pod = Fixtures.pod("a", containers: [
            Fixtures.container("biz1", version: "1.0.0", url: "file:///tmp/biz1.jar"),
            Container(name: "biz2", image: "http://x/biz2.jar"),
        ])
        #expect(ModulePod.bizzes(of: pod) == [
            BizModel(bizName: "biz1", bizVersion: "1.0.0", bizUrl: "file:///tmp/biz1.jar"),
            BizModel(bizName: "biz2", bizVersion: "", bizUrl: "http://x/biz2.jar"),
        ])
        #expect(ModulePod.problem(with: pod.spec!.containers[1])?.contains("BIZ_VERSION") == true)
        #expect(ModulePod.problem(with: pod.spec!.containers[0]) == nil)
    }

    @Test func deletedAndFinishedPodsAreNotLive() {
        #expect(ModulePod.isLive(Fixtures.pod("a", containers: [])))
        #expect(!ModulePod.isLive(Fixtures.pod("a", containers: [], deleting: true)))
        #expect(!ModulePod.isLive(Fixtures.pod("a", containers: [], status: PodStatus(phase: "Succeeded"))))
    }
}

@Suite struct VNodeNameTests {
    @Test func nameIsVnodeIdentityEnvAndParsesBack() throws {
        let name = try VNodeName.make(identity: "10.1.0.45", env: "dev").get()
        #expect(name.rawValue == "vnode.10.1.0.45.dev")
        #expect(VNodeName.parse("vnode.10.1.0.45.dev", env: "dev") == name)
        #expect(VNodeName.parse("vnode.10.1.0.45.prod", env: "dev") == nil)
        #expect(VNodeName.parse("node-1", env: "dev") == nil)
    }

    @Test(arguments: ["Base_1", "UPPER", "a..b", "-lead", "trail-", String(repeating: "x", count: 64), "a b"])
    func identitiesThatMakeNoNodeNameAreRefused(_ identity: String) {
        guard case .failure(let refusal) = VNodeName.make(identity: identity, env: "dev") else {
            Issue.record("\(identity) accepted")
            return
        }
        #expect(refusal.reason == .dnsSubdomain("vnode.\(identity).dev"))
        #expect(refusal.description.contains("lower-case letters"))
    }

    @Test(arguments: ["a/b", "a+b", "a#b", ""])
    func identitiesThatAreNoTopicLevelAreRefused(_ identity: String) {
        guard case .failure(let refusal) = VNodeName.make(identity: identity, env: "dev") else {
            Issue.record("\(identity) accepted")
            return
        }
        #expect(refusal.reason == .topicLevel)
    }

    @Test func labelValuesFollowTheAPIRules() {
        #expect(DNS1123.isLabelValue(""))
        #expect(DNS1123.isLabelValue("Base_1.0-x"))
        #expect(!DNS1123.isLabelValue("-x"))
        #expect(!DNS1123.isLabelValue("TO BE"))
        #expect(!DNS1123.isLabelValue(String(repeating: "a", count: 64)))
    }
}
