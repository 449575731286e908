import Arklet
import BaseSimulation
import Foundation
import KubeClient
import Synchronization
import Testing
@testable import VirtualKubelet

/// Module pods end to end: install, status, deletion, failures, base restarts, rolling updates.
@Suite(.serialized) struct ModulePodIntegrationTests {
    let biz1 = BizKey(name: "biz1", version: "1.0.0")

    @Test func aModulePodIsInstalledExactlyOnceAndBecomesRunningAndReady() async throws {
        try await ControllerHarness.with { harness in
            let controller = try await harness.startController(harness.configuration())
            let base = try await harness.startReadyBase("base-1")
            try await harness.createPod("app", on: "base-1", bizzes: [("biz1", "1.0.0")])
            let pod = try await harness.waitForPod("app", ready: true)
            #expect(pod.status?.phase == "Running")
            #expect(pod.status?.condition("ContainersReady")?.status == "True")
            #expect(pod.status?.podIP == base.arklet.configuration.localIP)
            #expect(pod.status?.hostIP == base.arklet.configuration.localIP)
            #expect(pod.status?.startTime != nil)
            let container = try #require(pod.status?.containerStatuses?.first)
            #expect(container.containerID == "ark://biz1:1.0.0")
            #expect(container.state?.running?.startedAt != nil)
            #expect(await base.arklet.bizStates == [biz1: .activated])
            // Several polls later: still one install, and no status write without a change.
            let version = try await harness.pod("app")?.metadata.resourceVersion
            let polls = await base.arklet.count(of: .queryAllBiz)
            try await waitFor("three more biz list polls") { await base.arklet.count(of: .queryAllBiz) >= polls + 3 ? true : nil }
            #expect(await base.arklet.count(of: .installBiz, key: biz1) == 1)
            #expect(try await harness.pod("app")?.metadata.resourceVersion == version)
            let events = try await harness.client.list(Event.self, namespace: "default").items
            #expect(events.contains { $0.reason == "ModuleInstalled" && $0.involvedObject.name == "app" })
            await base.stop()
            await controller.stop()
        }
    }

    @Test func aPodThatWasPendingIsNotWrittenAgainOnceReady() async throws {
        try await ControllerHarness.with { harness in
            let controller = try await harness.startController(harness.configuration())
            // A slow install: the pod is first written Pending (ContainersNotReady), then Ready.
            let base = try await harness.startReadyBase("base-1") { $0.installDuration = .milliseconds(1500) }
            try await harness.createPod("app", on: "base-1", bizzes: [("biz1", "1.0.0")])
            try await waitFor("the pod written Pending") {
                try await harness.pod("app")?.status?.condition("Ready")?.reason == "ContainersNotReady" ? true : nil
            }
            let pod = try await harness.waitForPod("app", ready: true)
            #expect(pod.status?.condition("Ready")?.reason == nil)
            #expect(pod.status?.condition("Ready")?.message == nil)
            let polls = await base.arklet.count(of: .queryAllBiz)
            try await waitFor("three more biz list polls") { await base.arklet.count(of: .queryAllBiz) >= polls + 3 ? true : nil }
            #expect(try await harness.pod("app")?.metadata.resourceVersion == pod.metadata.resourceVersion)
            await base.stop()
            await controller.stop()
        }
    }

    @Test func aDeactivatedBizTakesThePodsReadinessAway() async throws {
        try await ControllerHarness.with { harness in
            let controller = try await harness.startController(harness.configuration())
            let base = try await harness.startReadyBase("base-1")
            try await harness.createPod("app", on: "base-1", bizzes: [("biz1", "1.0.0")])
            try await harness.waitForPod("app", ready: true)
            await base.arklet.setState(.deactivated, of: biz1, reason: "SWITCHED", message: "another version took over")
            let pod = try await harness.waitForPod("app", ready: false)
            #expect(pod.status?.containerStatuses?.first?.state?.waiting?.reason == "DEACTIVATED")
            #expect(pod.status?.containerStatuses?.first?.state?.waiting?.message == "SWITCHED: another version took over")
            #expect(pod.status?.phase == "Running")
            await base.stop()
            await controller.stop()
        }
    }

    @Test func aDeletedPodIsUninstalledThenRemovedWellBeforeItsGracePeriod() async throws {
        try await ControllerHarness.with { harness in
            let controller = try await harness.startController(harness.configuration())
            let base = try await harness.startReadyBase("base-1")
            try await harness.createPod("app", on: "base-1", bizzes: [("biz1", "1.0.0")], grace: 30)
            try await harness.waitForPod("app", ready: true)
            try await harness.deletePodExpectingUninstall("app", of: biz1, from: base.arklet)
            #expect(await base.arklet.bizStates.isEmpty)
            await base.stop()
            await controller.stop()
        }
    }

    @Test func deletingOneOfTwoPodsThatShareABizOnABaseKeepsTheBizInstalled() async throws {
        try await ControllerHarness.with { harness in
            let controller = try await harness.startController(harness.configuration())
            let base = try await harness.startReadyBase("base-1")
            try await harness.createPod("first", on: "base-1", bizzes: [("biz1", "1.0.0")])
            try await harness.createPod("second", on: "base-1", bizzes: [("biz1", "1.0.0")])
            try await harness.waitForPod("first", ready: true)
            try await harness.waitForPod("second", ready: true)
            let timeline = try await PodTimeline(client: harness.client, namespace: "default")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await timeline.record() }
                _ = try await harness.client.delete(Pod.self, namespace: "default", name: "first")
                try await waitFor("deleted pod gone", timeout: .seconds(15)) { try await harness.pod("first") == nil ? true : nil }
                // Later polls of the base still find the biz, and nothing uninstalls it.
                let polls = await base.arklet.count(of: .queryAllBiz)
                try await waitFor("two more biz list polls") { await base.arklet.count(of: .queryAllBiz) >= polls + 2 ? true : nil }
                group.cancelAll()
            }
            #expect(await base.arklet.count(of: .installBiz, key: biz1) == 1)
            #expect(await base.arklet.count(of: .uninstallBiz) == 0)
            #expect(await base.arklet.bizStates == [biz1: .activated])
            #expect(!timeline.all.contains { $0.pod == "second" && !$0.ready }, "the remaining pod lost readiness")
            #expect(PodStatusModel.isReady(try await harness.pod("second")?.status))
            await base.stop()
            await controller.stop()
        }
    }

    /// C-V3 with the contract's in-place update: a pod of two bizzes.
    @Test func aPodOfTwoBizzesIsReadyOnlyWhileBothAreActivated() async throws {
        try await ControllerHarness.with { harness in
            let controller = try await harness.startController(harness.configuration())
            let base = try await harness.startReadyBase("base-1")
            let biz2 = BizKey(name: "biz2", version: "2.0.0")
            try await harness.createPod("app", on: "base-1", bizzes: [("biz1", "1.0.0"), ("biz2", "2.0.0")])
            let ready = try await harness.waitForPod("app", ready: true)
            #expect(ready.status?.phase == "Running")
            #expect(ready.status?.containerStatuses?.map(\.name) == ["biz1", "biz2"])
            #expect(ready.status?.containerStatuses?.allSatisfy { $0.ready } == true)
            #expect(await base.arklet.bizStates == [biz1: .activated, biz2: .activated])

            // One biz deactivated: Running, not Ready, and only that container says why.
            await base.arklet.setState(.deactivated, of: biz2, reason: "SWITCHED", message: "test")
            let halfway = try await harness.waitForPod("app", ready: false)
            #expect(halfway.status?.phase == "Running")
            #expect(halfway.status?.containerStatuses?.first { $0.name == "biz1" }?.ready == true)
            #expect(halfway.status?.containerStatuses?.first { $0.name == "biz2" }?.state?.waiting?.reason == "DEACTIVATED")
            await base.arklet.setState(.activated, of: biz2, reason: "STARTED")
            try await harness.waitForPod("app", ready: true)

            // Both images changed in place: both reinstalled from the new URLs, Ready again.
            let urls = ["https://repo.example/biz1-1.0.0-fix-ark-biz.jar", "https://repo.example/biz2-2.0.0-fix-ark-biz.jar"]
            _ = try await harness.client.patch(
                Pod.self, namespace: "default", name: "app",
                patch: .json([.replace("/spec/containers/0/image", .string(urls[0])),
                              .replace("/spec/containers/1/image", .string(urls[1]))]))
            try await waitFor("both reinstalled from the new URLs") {
                let bizzes = await base.arklet.bizzes
                return bizzes.map(\.model.bizUrl) == urls && bizzes.allSatisfy { $0.state == .activated } ? true : nil
            }
            try await waitFor("pod Ready with both new images") { () -> Bool? in
                let pod = try await harness.pod("app")
                return PodStatusModel.isReady(pod?.status) && pod?.status?.containerStatuses?.map(\.image) == urls ? true : nil
            }
            #expect(await base.arklet.count(of: .uninstallBiz) == 2)

            // Deleted: both uninstalled, the pod gone.
            _ = try await harness.client.delete(Pod.self, namespace: "default", name: "app")
            try await waitFor("pod gone", timeout: .seconds(15)) { try await harness.pod("app") == nil ? true : nil }
            #expect(await base.arklet.bizStates.isEmpty)
            await base.stop()
            await controller.stop()
        }
    }

    /// A base that comes back on another IP: the status write replaces podIPs rather than merging
    /// the new IP after the old one.
    @Test func aStatusWriteReplacesThePodIPsOfABaseThatMoved() async throws {
        try await ControllerHarness.with { harness in
            let pod = try await harness.createPod("app", on: "base-1", bizzes: [("biz1", "1.0.0")])
            for ip in ["10.0.0.1", "10.0.0.2"] {
                var status = PodStatus(phase: "Running", hostIP: ip, podIP: ip)
                status.podIPs = [PodIP(ip: ip)]
                status.hostIPs = [PodIP(ip: ip)]
                _ = try await harness.client.patch(Pod.self, namespace: "default", name: pod.metadata.name ?? "",
                                                   patch: .strategicMerge(try PodStatusModel.patch(for: status)),
                                                   subresource: "status")
            }
            let stored = try #require(try await harness.pod("app")?.status)
            #expect(stored.podIP == "10.0.0.2")
            #expect(stored.podIPs == [PodIP(ip: "10.0.0.2")])
            #expect(stored.hostIPs == [PodIP(ip: "10.0.0.2")])
        }
    }

    @Test func aFailingInstallShowsTheArkletErrorOnThePodAndInAnEvent() async throws {
        try await ControllerHarness.with { harness in
            let controller = try await harness.startController(harness.configuration())
            let base = try await harness.startReadyBase("base-1") { $0.installFailureRate = 1 }
            try await harness.createPod("app", on: "base-1", bizzes: [("biz1", "1.0.0")])
            let pod = try await waitFor("install failure on the pod") { () -> Pod? in
                let pod = try await harness.pod("app")
                return pod?.status?.containerStatuses?.first?.state?.waiting?.reason == "FAILED" ? pod : nil
            }
            #expect(pod.status?.containerStatuses?.first?.state?.waiting?.message == "simulated install failure of biz1:1.0.0")
            #expect(!PodStatusModel.isReady(pod.status))
            let event = try await waitFor("ModuleInstallFailed event") {
                try await harness.client.list(Event.self, namespace: "default").items
                    .first { $0.reason == "ModuleInstallFailed" && $0.involvedObject.name == "app" }
            }
            #expect(event.type == "Warning")
            #expect(event.message?.contains("simulated install failure of biz1:1.0.0") == true)
            // Retried with back-off.
            try await waitFor("install retried") { await base.arklet.count(of: .installBiz, key: self.biz1) >= 3 ? true : nil }
            await base.stop()
            await controller.stop()
        }
    }

    @Test func aBaseRestartedWithoutItsBizzesGetsThemBack() async throws {
        try await ControllerHarness.with { harness in
            let controller = try await harness.startController(harness.configuration())
            let base = try await harness.startReadyBase("base-1")
            try await harness.createPod("app", on: "base-1", bizzes: [("biz1", "1.0.0")])
            try await harness.waitForPod("app", ready: true)
            await base.stop()
            await base.arklet.crash()
            let restarted = harness.start(base.base)
            try await waitFor("reinstalled") { await base.arklet.bizStates == [self.biz1: .activated] ? true : nil }
            #expect(await base.arklet.count(of: .installBiz, key: biz1) == 2)
            try await harness.waitForPod("app", ready: true)
            await restarted.stop()
            await controller.stop()
        }
    }
}

/// Changes that come from users and operators rather than from the base.
@Suite(.serialized) struct ModuleChangeIntegrationTests {
    let biz1 = BizKey(name: "biz1", version: "1.0.0")

    @Test func anImageChangedInPlaceIsUninstalledThenInstalledFromTheNewURL() async throws {
        try await ControllerHarness.with { harness in
            let controller = try await harness.startController(harness.configuration())
            let base = try await harness.startReadyBase("base-1")
            try await harness.createPod("app", on: "base-1", bizzes: [("biz1", "1.0.0")])
            try await harness.waitForPod("app", ready: true)
            let newURL = "https://repo.example/biz1-1.0.0-hotfix-ark-biz.jar"
            _ = try await harness.client.patch(
                Pod.self, namespace: "default", name: "app",
                patch: .json([.replace("/spec/containers/0/image", .string(newURL))]))
            try await waitFor("reinstalled from the new URL") {
                let bizzes = await base.arklet.bizzes
                return bizzes.map(\.model.bizUrl) == [newURL] && bizzes.map(\.state) == [.activated] ? true : nil
            }
            #expect(await base.arklet.count(of: .uninstallBiz, key: biz1) == 1)
            #expect(await base.arklet.count(of: .installBiz, key: biz1) == 2)
            let pod = try await waitFor("pod Ready with the new image") { () -> Pod? in
                let pod = try await harness.pod("app")
                return PodStatusModel.isReady(pod?.status) && pod?.status?.containerStatuses?.first?.image == newURL ? pod : nil
            }
            #expect(pod.status?.phase == "Running")
            await base.stop()
            await controller.stop()
        }
    }

    @Test func anOrphanedBizIsUninstalledAfterTheGracePeriodAndAWantedOneIsKept() async throws {
        try await ControllerHarness.with { harness in
            let controller = try await harness.startController(harness.configuration { $0.orphanGracePeriod = .seconds(2) })
            let base = try await harness.startReadyBase("base-1")
            try await harness.createPod("app", on: "base-1", bizzes: [("biz1", "1.0.0")])
            try await harness.waitForPod("app", ready: true)
            let stray = BizModel(bizName: "stray", bizVersion: "0.1", bizUrl: "https://repo.example/stray.jar")
            _ = await base.arklet.install(stray)
            try await waitFor("orphan uninstalled", timeout: .seconds(15)) {
                await base.arklet.bizStates[stray.key] == nil ? true : nil
            }
            #expect(await base.arklet.bizStates == [biz1: .activated])
            #expect(await base.arklet.count(of: .uninstallBiz, key: biz1) == 0)
            await base.stop()
            await controller.stop()
        }
    }
}

/// A fixed baseline that counts how often it was asked.
final class FixedBaseline: BaselineProvider {
    let bizzes: [BizModel]
    private let asked = Mutex(0)

    init(_ bizzes: [BizModel]) { self.bizzes = bizzes }

    var askCount: Int { asked.withLock { $0 } }

    func baseline(for metadata: BaseMetadata) async throws -> [BizModel] {
        asked.withLock { $0 += 1 }
        return bizzes
    }
}

@Suite(.serialized) struct BaselineIntegrationTests {
    @Test func aBaseAskingForItsBaselineIsAnsweredOnceAndItsBizzesAreNoOrphans() async throws {
        try await ControllerHarness.with { harness in
            let biz = BizModel(bizName: "shared", bizVersion: "1.0", bizUrl: "https://repo.example/shared.jar")
            let provider = FixedBaseline([biz])
            let controller = try await harness.startController(harness.configuration { $0.orphanGracePeriod = .seconds(1) },
                                                               baselines: provider)
            let base = try await harness.startReadyBase("base-1")
            try await waitFor("baseline installed") { await base.arklet.bizStates[biz.key] == .activated ? true : nil }
            // Several orphan grace periods later it is still there, and the baseline was asked for once.
            let polls = await base.arklet.count(of: .queryAllBiz)
            try await waitFor("three more biz list polls") { await base.arklet.count(of: .queryAllBiz) >= polls + 3 ? true : nil }
            #expect(await base.arklet.bizStates[biz.key] == .activated)
            #expect(await base.arklet.count(of: .uninstallBiz) == 0)
            #expect(provider.askCount == 1)
            await base.stop()
            await controller.stop()
        }
    }
}
