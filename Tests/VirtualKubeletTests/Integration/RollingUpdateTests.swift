import Arklet
import BaseSimulation
import Foundation
import KubeClient
import Testing
@testable import VirtualKubelet

/// Lossless rolling update (contract §4) as a user gets it from `kubectl apply` of a new
/// `BIZ_VERSION`: a Deployment stand-in following Kubernetes' RollingUpdate rules replaces v1 pods
/// by v2 pods on three bases while the test records the API server's watch history and every
/// base's biz states.
@Suite(.serialized) struct RollingUpdateTests {
    static let old = BizKey(name: "biz1", version: "1.0.0")
    static let new = BizKey(name: "biz1", version: "2.0.0")
    static let bases = ["base-1", "base-2", "base-3"]

    /// `maxSurge` 1 is what the user guide's 30 % gives for 3 replicas; 3 replaces every pod at once.
    /// `maxUnavailable` is 0: with more, Kubernetes itself may delete a base's only Ready pod.
    @Test(arguments: [1, 3])
    func aRollingUpdateNeverShowsTwoVersionsReadyOnABaseAndNoBaseLosesItsModule(maxSurge: Int) async throws {
        try await ControllerHarness.with { harness in
            let controller = try await harness.startController(harness.configuration())
            var bases: [RunningBase<MQTTSimulatedBase>] = []
            for identity in Self.bases {
                bases.append(try await harness.startReadyBase(identity) { $0.recordsStateHistory = true })
            }
            let nodes = Self.bases.map(harness.nodeName)
            for (index, node) in nodes.enumerated() {
                _ = try await harness.client.create(harness.modulePod("demo-v1-\(index + 1)", node: node,
                                                                      bizzes: [(Self.old.name, Self.old.version)],
                                                                      labels: ["app": "demo", RollingUpdateStandIn.revisionLabel: "v1"]))
            }
            for index in nodes.indices { try await harness.waitForPod("demo-v1-\(index + 1)", ready: true) }

            let timeline = try await PodTimeline(client: harness.client, namespace: "default")
            let standIn = RollingUpdateStandIn(
                client: harness.client, namespace: "default", app: "demo",
                planner: RollingUpdatePlanner(replicas: 3, maxSurge: maxSurge, maxUnavailable: 0, nodes: nodes),
                oldRevision: "v1", newRevision: "v2"
            ) { name, node in
                harness.modulePod(name, node: node, bizzes: [(Self.new.name, Self.new.version)])
            }
            let report = try await withThrowingTaskGroup(of: RollingUpdateStandIn.Report?.self) { group in
                group.addTask {
                    await timeline.record()
                    return nil
                }
                let report = try await withDeadline(.seconds(60), "rolling update of 3 bases") { try await standIn.run() }
                try await waitFor("watch caught up with the rollout") { () -> Bool? in
                    guard let last = timeline.snapshots.last else { return nil }
                    let done = last.count == 3 && last.values.allSatisfy { $0.ready && $0.labels[RollingUpdateStandIn.revisionLabel] == "v2" }
                    return done ? true : nil
                }
                group.cancelAll()
                return report
            }

            // The stand-in followed RollingUpdate: three creations, three deletions.
            #expect(report.actions.filter { if case .create = $0 { true } else { false } }.count == 3)
            #expect(report.actions.filter { if case .delete = $0 { true } else { false } }.count == 3)

            // At every resourceVersion: on no base does a v2 pod show Ready while a v1 pod does.
            let snapshots = timeline.snapshots
            for (index, snapshot) in snapshots.enumerated() {
                for node in nodes {
                    let readyRevisions = Set(snapshot.values.filter { $0.node == node && $0.ready }
                        .compactMap { $0.labels[RollingUpdateStandIn.revisionLabel] })
                    #expect(readyRevisions.count <= 1,
                            "two versions Ready on \(node) at resourceVersion \(timeline.all[index].resourceVersion ?? "?")")
                }
            }
            // The Deployment saw each old pod NotReady before it deleted it: no Ready pod was taken away.
            for entry in timeline.all where entry.labels[RollingUpdateStandIn.revisionLabel] == "v1" && entry.terminating {
                #expect(!entry.ready, "\(entry.pod) was deleted while Ready")
            }
            // Every base always ran an ACTIVATED version of the biz, and ends with only v2, installed once.
            for base in bases {
                let identity = base.arklet.configuration.identity.rawValue
                let history = await base.arklet.stateHistory
                let firstActive = try #require(history.firstIndex { $0.values.contains(.activated) })
                let gaps = history[firstActive...].filter { states in
                    !states.contains { $0.key.name == Self.new.name && $0.value == .activated }
                }
                #expect(gaps.isEmpty, "\(identity) had no ACTIVATED biz1: \(gaps)")
                #expect(await base.arklet.bizStates == [Self.new: .activated], "\(identity)")
                #expect(await base.arklet.count(of: .installBiz, key: Self.new) == 1, "\(identity)")
                #expect(await base.arklet.count(of: .uninstallBiz, key: Self.old) == 1, "\(identity)")
                #expect(await base.arklet.count(of: .uninstallBiz, key: Self.new) == 0, "\(identity)")
            }
            for base in bases { await base.stop() }
            await controller.stop()
        }
    }
}
