import Arklet
import BaseSimulation
import Foundation
import KubeClient
import Testing
@testable import VirtualKubelet

/// Readiness as the API server shows it during rolling updates and controller restarts.
@Suite(.serialized) struct LosslessTests {
    @Test func aNewVersionNeverShowsReadyWhileTheDeactivatedOldOneStillDoes() async throws {
        try await ControllerHarness.with { harness in
            let controller = try await harness.startController(harness.configuration())
            let base = try await harness.startReadyBase("base-1")
            try await harness.createPod("old", on: "base-1", bizzes: [("biz1", "1.0.0")])
            try await harness.waitForPod("old", ready: true)
            let timeline = try await PodTimeline(client: harness.client, namespace: "default")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await timeline.record() }
                try await harness.createPod("new", on: "base-1", bizzes: [("biz1", "2.0.0")])
                try await harness.waitForPod("new", ready: true)
                let old = try await harness.waitForPod("old", ready: false)
                #expect(old.status?.containerStatuses?.first?.state?.waiting?.reason == "DEACTIVATED")
                try await waitFor("watch caught up") {
                    timeline.states.last.map { $0["new"] == true && $0["old"] == false } == true ? true : nil
                }
                group.cancelAll()
            }
            let states = timeline.states
            #expect(!states.isEmpty)
            #expect(!states.contains { $0["new"] == true && $0["old"] == true }, "both Ready at once: \(timeline.all)")
            #expect(await base.arklet.bizStates == [BizKey(name: "biz1", version: "1.0.0"): .deactivated,
                                                    BizKey(name: "biz1", version: "2.0.0"): .activated])
            // The Deployment controller now deletes the old pod: only the old version goes.
            _ = try await harness.client.delete(Pod.self, namespace: "default", name: "old")
            try await waitFor("old pod gone") { try await harness.pod("old") == nil ? true : nil }
            #expect(await base.arklet.bizStates == [BizKey(name: "biz1", version: "2.0.0"): .activated])
            #expect(PodStatusModel.isReady(try await harness.pod("new")?.status))
            await base.stop()
            await controller.stop()
        }
    }

    @Test func aRestartedControllerReinstallsNothingAndNoPodFlaps() async throws {
        try await ControllerHarness.with { harness in
            let first = try await harness.startController(harness.configuration(clientID: "replica-a"))
            let base = try await harness.startReadyBase("base-1")
            try await harness.createPod("app", on: "base-1", bizzes: [("biz1", "1.0.0")])
            try await harness.waitForPod("app", ready: true)
            let timeline = try await PodTimeline(client: harness.client, namespace: "default")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await timeline.record() }
                await first.stop()
                let second = try await harness.startController(harness.configuration(clientID: "replica-a"))
                try await waitFor("vnode owned again") { second.controller.ownedVNodes.isEmpty ? nil : true }
                let polls = await base.arklet.count(of: .queryAllBiz)
                try await waitFor("three biz list polls by the new controller") {
                    await base.arklet.count(of: .queryAllBiz) >= polls + 3 ? true : nil
                }
                #expect(await base.arklet.count(of: .installBiz) == 1)
                #expect(await base.arklet.count(of: .uninstallBiz) == 0)
                #expect(PodStatusModel.isReady(try await harness.pod("app")?.status))
                await second.stop()
                group.cancelAll()
            }
            #expect(!timeline.all.contains { !$0.ready }, "readiness flapped: \(timeline.all)")
            #expect(try await harness.lease("base-1") != nil)
            await base.stop()
        }
    }
}
