import Arklet
import BaseSimulation
import Foundation
import KubeClient
import Testing
@testable import VirtualKubelet

/// A real controller against the test API server, a mosquitto broker and simulated MQTT bases.
@Suite(.serialized) struct VNodeLifecycleTests {
    @Test func aBaseOnlineBecomesAReadyNodeWhoseLeaseThisReplicaHolds() async throws {
        try await ControllerHarness.with { harness in
            let controller = try await harness.startController(harness.configuration(clientID: "replica-a"))
            let base = try await harness.startReadyBase("base-1")
            let node = try #require(try await harness.node("base-1"))
            #expect(node.metadata.labels?["virtual-kubelet.koupleless.io/component"] == "vnode")
            #expect(node.metadata.labels?["virtual-kubelet.koupleless.io/env"] == harness.env)
            #expect(node.metadata.labels?["base.koupleless.io/host-name"] == "base-1-host")
            // (The API server's TaintNodesByCondition admission adds `node.kubernetes.io/not-ready` after ours.)
            #expect(node.spec?.taints?.prefix(2).map(\.key) == ["schedule.koupleless.io/virtual-node", "schedule.koupleless.io/node-env"])
            #expect(node.status?.addresses?.first == NodeAddress(type: "InternalIP", address: base.base.arklet.configuration.localIP))
            let lease = try #require(try await harness.lease("base-1"))
            #expect(lease.spec?.holderIdentity == "replica-a")
            #expect(lease.spec?.leaseDurationSeconds == 10)
            #expect(lease.metadata.labels == ["virtual-kubelet.koupleless.io/env": harness.env,
                                              "virtual-kubelet.koupleless.io/component": "vnode-lease"])
            // Capacity comes from the health answer (metaspace 256 MiB).
            try await waitFor("memory capacity") {
                try await harness.node("base-1")?.status?.capacity?["memory"] == "262144Ki" ? true : nil
            }
            #expect(controller.controller.ownedVNodes == [harness.nodeName("base-1")])

            // No per-heartbeat writes: the node's resourceVersion stays put across heartbeats and polls.
            let version = try await harness.node("base-1")?.metadata.resourceVersion
            let polls = await base.arklet.count(of: .health)
            try await waitFor("three more health polls") { await base.arklet.count(of: .health) >= polls + 3 ? true : nil }
            #expect(try await harness.node("base-1")?.metadata.resourceVersion == version)

            // Stopping the controller releases the lease at once.
            await controller.stop()
            #expect(try await harness.lease("base-1")?.spec?.holderIdentity == nil)
            await base.stop()
        }
    }

    @Test func aSilentBaseGoesNotReadyWithItsPodsThenItsNodeAndLeaseAreDeleted() async throws {
        try await ControllerHarness.with { harness in
            let controller = try await harness.startController(harness.configuration(ControllerHarness.fastLiveness))
            let base = try await harness.startReadyBase("base-1")
            try await harness.createPod("app", on: "base-1", bizzes: [("biz1", "1.0.0")])
            try await harness.waitForPod("app", ready: true)
            await base.stop()
            let node = try await harness.waitForNode("base-1", ready: false)
            #expect(node.status?.condition("Ready")?.reason == "BaseUnreachable")
            let pod = try await harness.waitForPod("app", ready: false)
            #expect(pod.status?.condition("Ready")?.reason == "BaseUnreachable")
            try await harness.waitForNodeAndLeaseDeleted("base-1")
            // The base comes back with the same identity: a Ready node again (C-M3).
            let back = harness.start(base.base)
            try await waitFor("node Ready again") {
                try await harness.node("base-1")?.status?.condition("Ready")?.status == "True" ? true : nil
            }
            #expect(try await harness.lease("base-1")?.spec?.holderIdentity == "replica-1")
            await back.stop()
            await controller.stop()
        }
    }

    @Test func aDeactivatedHeartbeatMakesTheNodeNotReadyAtOnce() async throws {
        try await ControllerHarness.with { harness in
            let controller = try await harness.startController(harness.configuration {
                // Only heartbeats keep this base alive; health answers would reopen it. Silence alone
                // would take 10 s to show, so NotReady within 5 s comes from the heartbeat.
                $0.healthPollInterval = .seconds(600)
                $0.unreachableAfter = .seconds(10)
                $0.deadAfter = .seconds(12)
            })
            let base = try await harness.startReadyBase("base-1") { $0.heartbeatInterval = .seconds(600) }
            try await waitFor("first health answer applied") {
                try await harness.node("base-1")?.status?.capacity?["memory"] != nil ? true : nil
            }
            base.base.publishHeartbeat(state: "DEACTIVATED")
            let node = try await harness.waitForNode("base-1", ready: false, timeout: .seconds(5))
            #expect(node.status?.condition("Ready")?.reason == "BaseDeactivated")
            try await harness.waitForNodeAndLeaseDeleted("base-1", timeout: .seconds(30))
            await base.stop()
            await controller.stop()
        }
    }

    /// A base redeployed with a new version under the same identity: its Node's labels follow
    /// (written through nodes/status, the only node write the RBAC grants besides create/delete).
    @Test func aBaseBackWithANewVersionGetsItsNodeLabelsUpdated() async throws {
        try await ControllerHarness.with { harness in
            let controller = try await harness.startController(harness.configuration())
            let first = try await harness.startReadyBase("base-1")
            #expect(try await harness.node("base-1")?.metadata.labels?["base.koupleless.io/version"] == "1.0.0")
            await first.stop()
            let second = try await harness.startReadyBase("base-1") { $0.metadata.version = "2.0.0" }
            try await waitFor("version label updated") {
                try await harness.node("base-1")?.metadata.labels?["base.koupleless.io/version"] == "2.0.0" ? true : nil
            }
            #expect(try await harness.node("base-1")?.metadata.labels?["base.koupleless.io/name"] == "base")
            await second.stop()
            await controller.stop()
        }
    }

    @Test func identitiesThatMakeNoNodeNameAreRefusedWithoutHarm() async throws {
        try await ControllerHarness.with { harness in
            let controller = try await harness.startController(harness.configuration())
            let bad = harness.start(harness.makeBase("Bad_Base"))
            try await waitFor("bad identity refused") { controller.controller.refusedIdentities.contains("Bad_Base") ? true : nil }
            _ = try await harness.startReadyBase("good-base")
            let nodes = try await harness.client.list(Node.self).items.compactMap(\.metadata.name)
            #expect(nodes == [harness.nodeName("good-base")])
            #expect(await bad.arklet.count(of: .health) == 0)
            await bad.stop()
            await controller.stop()
        }
    }
}
