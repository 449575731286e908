import Foundation
import Testing

/// The Deployment stand-in decides as Kubernetes' RollingUpdate does.
struct RollingUpdatePlannerTests {
    typealias Pod = RollingUpdatePlanner.PodView
    let nodes = ["a", "b", "c"]

    func pod(_ name: String, on node: String, ready: Bool = true, terminating: Bool = false, age: TimeInterval = 100) -> Pod {
        Pod(name: name, node: node, ready: ready, terminating: terminating, created: Date(timeIntervalSince1970: 1000 - age))
    }

    var oldPods: [Pod] { [pod("old-a", on: "a", age: 300), pod("old-b", on: "b", age: 200), pod("old-c", on: "c", age: 100)] }

    @Test func surgesOnePodOntoTheFirstNodeWithoutANewOne() {
        let planner = RollingUpdatePlanner(replicas: 3, maxSurge: 1, maxUnavailable: 0, nodes: nodes)
        #expect(planner.plan(old: oldPods, new: []) == [.create(node: "a")])
        #expect(planner.plan(old: oldPods, new: [pod("new-1", on: "a", ready: false)]).isEmpty,
                "nothing while the surge pod is unavailable and the total is at replicas + maxSurge")
    }

    @Test func deletesTheOldPodThatWentNotReadyOnceTheNewOneIsReady() {
        let planner = RollingUpdatePlanner(replicas: 3, maxSurge: 1, maxUnavailable: 0, nodes: nodes)
        var old = oldPods
        old[0].ready = false
        #expect(planner.plan(old: old, new: [pod("new-1", on: "a")]) == [.delete(pod: "old-a")])
        // Not while the new pod is still unavailable, even if the old one is NotReady.
        #expect(planner.plan(old: old, new: [pod("new-1", on: "a", ready: false)]).isEmpty)
    }

    @Test func terminatingPodsCountForNoReplicaSetAndTheNextNewPodSpreads() {
        let planner = RollingUpdatePlanner(replicas: 3, maxSurge: 1, maxUnavailable: 0, nodes: nodes)
        var old = oldPods
        old[0].ready = false
        old[0].terminating = true
        #expect(planner.plan(old: old, new: [pod("new-1", on: "a")]) == [.create(node: "b")])
    }

    @Test func aFullSurgeCreatesEveryNewPodAtOnceOnDistinctNodes() {
        let planner = RollingUpdatePlanner(replicas: 3, maxSurge: 3, maxUnavailable: 0, nodes: nodes)
        #expect(planner.plan(old: oldPods, new: []) == [.create(node: "a"), .create(node: "b"), .create(node: "c")])
    }

    @Test func readyOldPodsGoCrowdedNodeFirstThenNewestWhenUnavailabilityAllows() {
        let planner = RollingUpdatePlanner(replicas: 3, maxSurge: 1, maxUnavailable: 1, nodes: nodes)
        // 4 pods, 4 available, minAvailable 2: two old pods may go; the one sharing node a first.
        #expect(planner.plan(old: oldPods, new: [pod("new-1", on: "a")]) == [.delete(pod: "old-a"), .delete(pod: "old-c")])
    }

    @Test func completeOnlyWhenEveryOldPodIsGoneAndEveryNewOneReady() {
        let planner = RollingUpdatePlanner(replicas: 3, maxSurge: 1, maxUnavailable: 0, nodes: nodes)
        let new = [pod("n1", on: "a"), pod("n2", on: "b"), pod("n3", on: "c")]
        #expect(planner.isComplete(old: [], new: new))
        #expect(!planner.isComplete(old: [pod("old-c", on: "c", ready: false, terminating: true)], new: new))
        #expect(!planner.isComplete(old: [], new: Array(new.dropLast()) + [pod("n3", on: "c", ready: false)]))
        #expect(planner.plan(old: [], new: new).isEmpty)
    }
}
