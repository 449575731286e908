import Arklet
import BaseSimulation
import Foundation
import KubeClient
import Testing
@testable import VirtualKubelet

/// When the second replica starts, relative to the owner's stop.
enum SecondReplica: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// Runs as a standby from before the base appears, for longer than `deadAfter`.
    case standby
    /// Starts once the owner has stopped, and adopts the existing Node.
    case startedAfterTheOwnerStopped

    var testDescription: String { rawValue }
}

extension HTTPTunnelEndToEndTests {
    /// Replica A owns an HTTP vnode with a Ready module pod and stops (releasing its Lease). The
    /// base heart-beats only to A's listener, now closed, so replica B never hears from it: B
    /// takes the Lease and reaches the base at the address its Node gives (InternalIP and the
    /// tunnel-port label). No pod readiness flaps, nothing is reinstalled, and a pod created
    /// after the takeover is installed by B.
    @Test(arguments: SecondReplica.allCases)
    func anotherReplicaTakesOverAnHTTPVNodeThroughTheAddressOnItsNode(_ second: SecondReplica) async throws {
        try await ControllerHarness.with(.http) { harness in
            let settings: (inout VirtualKubeletConfiguration) -> Void = {
                $0.unreachableAfter = .seconds(3)
                $0.deadAfter = .seconds(4)
            }
            let replicaA = try await harness.startController(harness.configuration(clientID: "replica-a", settings))
            var standby: RunningController?
            if second == .standby {
                standby = try await harness.startController(harness.configuration(clientID: "replica-b", settings))
            }
            let base = try await harness.startReadyHTTPBase("base-1", heartbeatingTo: replicaA)
            try await harness.createPod("app", on: "base-1", bizzes: [("biz1", "1.0.0")])
            try await harness.waitForPod("app", ready: true)
            #expect(try await harness.lease("base-1")?.spec?.holderIdentity == "replica-a")
            if let standby {
                // A standby knows the vnode from its Node only; it must not forget it while A
                // keeps the base alive for longer than `deadAfter` (health polls come every second).
                let polls = await base.arklet.count(of: .health)
                try await waitFor("A polls the base for longer than deadAfter") {
                    await base.arklet.count(of: .health) >= polls + 6 ? true : nil
                }
                #expect(standby.controller.ownedVNodes.isEmpty)
            }

            let timeline = try await PodTimeline(client: harness.client, namespace: "default")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await timeline.record() }
                await replicaA.stop()
                let replicaB: RunningController
                if let standby {
                    replicaB = standby
                } else {
                    replicaB = try await harness.startController(harness.configuration(clientID: "replica-b", settings))
                }
                #expect(replicaB.heartbeatEndpoint != replicaA.heartbeatEndpoint, "B must not hear the base's heartbeats")

                try await waitFor("B holds the lease") {
                    try await harness.lease("base-1")?.spec?.holderIdentity == "replica-b" ? true : nil
                }
                try await waitFor("B owns the vnode") { replicaB.controller.ownedVNodes.isEmpty ? nil : true }
                // B's own polls reach the base, for longer than `unreachableAfter`.
                let polls = await base.arklet.count(of: .queryAllBiz)
                try await waitFor("B polls the base's biz list") {
                    await base.arklet.count(of: .queryAllBiz) >= polls + 4 ? true : nil
                }
                #expect(try await harness.node("base-1")?.status?.condition("Ready")?.status == "True")
                #expect(PodStatusModel.isReady(try await harness.pod("app")?.status))

                try await harness.createPod("app2", on: "base-1", bizzes: [("biz2", "1.0.0")])
                try await harness.waitForPod("app2", ready: true)
                let biz2 = BizKey(name: "biz2", version: "1.0.0")
                #expect(await base.arklet.count(of: .installBiz, key: biz2) == 1)
                #expect(await base.arklet.count(of: .installBiz, key: biz1) == 1, "nothing reinstalled")
                #expect(await base.arklet.count(of: .uninstallBiz) == 0)
                #expect(await base.arklet.bizStates == [biz1: .activated, biz2: .activated])
                try await waitFor("watch caught up") {
                    timeline.states.last?["app2"] == true ? true : nil
                }
                await replicaB.stop()
                group.cancelAll()
            }
            #expect(!timeline.all.contains { $0.pod == "app" && !$0.ready }, "readiness of app flapped: \(timeline.all)")
            await base.stop()
        }
    }
}
