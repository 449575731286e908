import Arklet
import BaseSimulation
import Foundation
import KubeClient
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
            let start = ContinuousClock.now
            let deleting = try await harness.client.delete(Pod.self, namespace: "default", name: "app")
            #expect(deleting?.metadata.deletionTimestamp != nil)
            try await waitFor("pod gone", timeout: .seconds(15)) { try await harness.pod("app") == nil ? true : nil }
            #expect(ContinuousClock.now - start < .seconds(15))
            #expect(await base.arklet.count(of: .uninstallBiz, key: biz1) == 1)
            #expect(await base.arklet.bizStates.isEmpty)
            await base.stop()
            await controller.stop()
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
