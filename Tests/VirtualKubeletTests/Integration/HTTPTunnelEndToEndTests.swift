import Arklet
import BaseSimulation
import Foundation
import KubeClient
import Testing
@testable import VirtualKubelet

/// A real controller with an HTTP tunnel (listener on loopback) against the test API server and
/// simulated HTTP bases (their own arklet servers on loopback) that heart-beat to it: conformance
/// items C-H1…C-H4 (reference §8.3, with contract §2's NotReady-then-delete liveness).
@Suite(.serialized) struct HTTPTunnelEndToEndTests {
    let biz1 = BizKey(name: "biz1", version: "1.0.0")

    /// C-H1.
    @Test func anHTTPBaseOnlineBecomesAReadyNodeWhoseLeaseThisReplicaHolds() async throws {
        try await ControllerHarness.with(.http) { harness in
            let controller = try await harness.startController(harness.configuration(clientID: "replica-a"))
            let base = try await harness.startReadyHTTPBase("base-1", heartbeatingTo: controller)
            let arkletPort = try #require(base.base.port)

            let lease = try #require(try await harness.lease("base-1"))
            #expect(lease.spec?.holderIdentity == "replica-a")
            #expect(lease.spec?.leaseDurationSeconds == 10)
            let renewed = try #require(lease.spec?.renewTime?.date)
            #expect(renewed.addingTimeInterval(10) > Date(), "the lease is not expired")
            #expect(lease.metadata.labels == ["virtual-kubelet.koupleless.io/env": harness.env,
                                              "virtual-kubelet.koupleless.io/component": "vnode-lease"])

            let node = try #require(try await harness.node("base-1"))
            #expect(node.status?.addresses == [NodeAddress(type: "InternalIP", address: "127.0.0.1"),
                                               NodeAddress(type: "Hostname", address: "base-1-host")])
            let labels = node.metadata.labels ?? [:]
            #expect(labels["base.koupleless.io/tunnel-port"] == String(arkletPort))
            #expect(labels["virtual-kubelet.koupleless.io/component"] == "vnode")
            #expect(labels["virtual-kubelet.koupleless.io/env"] == harness.env)
            #expect(labels["base.koupleless.io/name"] == "base")
            #expect(labels["base.koupleless.io/version"] == "1.0.0")
            #expect(labels["base.koupleless.io/cluster-name"] == "default")
            #expect(controller.controller.ownedVNodes == [harness.nodeName("base-1")])

            // Capacity comes from the base's answers to `POST /health` on its arklet port; after
            // that, heartbeats and polls write nothing.
            try await waitFor("memory capacity") {
                try await harness.node("base-1")?.status?.capacity?["memory"] == "262144Ki" ? true : nil
            }
            let version = try await harness.node("base-1")?.metadata.resourceVersion
            let polls = await base.arklet.count(of: .health)
            try await waitFor("three more health polls") { await base.arklet.count(of: .health) >= polls + 3 ? true : nil }
            #expect(try await harness.node("base-1")?.metadata.resourceVersion == version)

            await controller.stop()
            #expect(try await harness.lease("base-1")?.spec?.holderIdentity == nil, "released on stop")
            await base.stop()
        }
    }

    /// C-H2 (contract §2: NotReady at once, Node and Lease deleted after `deadAfter`).
    @Test func aDeactivatedHeartbeatMakesTheNodeNotReadyAtOnceThenNodeAndLeaseAreDeleted() async throws {
        try await ControllerHarness.with(.http) { harness in
            let controller = try await harness.startController(harness.configuration {
                // Silence alone shows 5 s after the base leaves at the earliest (6 s after its last
                // refresh, at most 1 s before), so NotReady within 4 s comes from its DEACTIVATED heartbeat.
                $0.unreachableAfter = .seconds(6)
                $0.deadAfter = .seconds(8)
            })
            let base = try await harness.startReadyHTTPBase("base-1", heartbeatingTo: controller,
                                                            deactivatedHeartbeatOnExit: true)
            // The base leaves as upstream's mock does: its server stops, then one DEACTIVATED heartbeat.
            await base.stop()
            let node = try await harness.waitForNode("base-1", ready: false, timeout: .seconds(4))
            #expect(node.status?.condition("Ready")?.reason == "BaseDeactivated")
            #expect(try await harness.lease("base-1")?.spec?.holderIdentity == "replica-1", "still owned until deleted")
            try await harness.waitForNodeAndLeaseDeleted("base-1")
            #expect(controller.controller.ownedVNodes.isEmpty)
            await controller.stop()
        }
    }

    /// C-H3: a hung base (its arklet server holds every command, no heartbeats) goes NotReady
    /// with its pods, its Node and Lease are deleted; answering again, it comes back Ready.
    @Test func anUnreachableBaseGoesNotReadyThenItsNodeIsDeletedAndItComesBackReady() async throws {
        try await ControllerHarness.with(.http) { harness in
            let controller = try await harness.startController(harness.configuration(ControllerHarness.fastLiveness))
            let base = try await harness.startReadyHTTPBase("base-1", heartbeatingTo: controller)
            try await harness.createPod("app", on: "base-1", bizzes: [("biz1", "1.0.0")])
            try await harness.waitForPod("app", ready: true)

            base.base.setHeartbeating(false)
            base.base.setAnswering(false)
            let node = try await harness.waitForNode("base-1", ready: false)
            #expect(node.status?.condition("Ready")?.reason == "BaseUnreachable")
            let pod = try await harness.waitForPod("app", ready: false)
            #expect(pod.status?.condition("Ready")?.reason == "BaseUnreachable")
            try await harness.waitForNodeAndLeaseDeleted("base-1")

            base.base.setAnswering(true)
            base.base.setHeartbeating(true)
            try await harness.waitForNode("base-1", ready: true)
            #expect(try await harness.lease("base-1")?.spec?.holderIdentity == "replica-1")
            // The base kept its biz: the pod is Ready again without a second install.
            try await harness.waitForPod("app", ready: true)
            #expect(await base.arklet.count(of: .installBiz, key: biz1) == 1)
            await base.stop()
            await controller.stop()
        }
    }

    /// C-H4.
    @Test func aModulePodIsInstalledOnceUninstalledOnDeletionAndTheNodeOfAnExitedBaseIsDeleted() async throws {
        try await ControllerHarness.with(.http) { harness in
            let controller = try await harness.startController(harness.configuration(ControllerHarness.fastLiveness))
            let base = try await harness.startReadyHTTPBase("base-1", heartbeatingTo: controller)
            try await harness.createPod("app", on: "base-1", bizzes: [("biz1", "1.0.0")], grace: 30)
            let pod = try await harness.waitForPod("app", ready: true)
            #expect(pod.status?.phase == "Running")
            #expect(pod.status?.podIP == "127.0.0.1")
            #expect(pod.status?.containerStatuses?.first?.containerID == "ark://biz1:1.0.0")
            #expect(await base.arklet.bizStates == [biz1: .activated])
            let polls = await base.arklet.count(of: .queryAllBiz)
            try await waitFor("three more biz list polls") { await base.arklet.count(of: .queryAllBiz) >= polls + 3 ? true : nil }
            #expect(await base.arklet.count(of: .installBiz, key: biz1) == 1)

            // Deletion waits for the uninstall, then removes the pod with grace 0: well before 30 s.
            try await harness.deletePodExpectingUninstall("app", of: biz1, from: base.arklet)
            #expect(await base.arklet.bizStates.isEmpty)

            await base.stop()
            try await harness.waitForNodeAndLeaseDeleted("base-1")
            await controller.stop()
        }
    }
}
