import Arklet
import Foundation
import KubeClient
import Testing
@testable import VirtualKubelet

@Suite struct PodStatusModelTests {
    let now = Fixtures.epoch.addingTimeInterval(100.7)
    let v1 = BizKey(name: "biz1", version: "1.0.0")
    let b2 = BizKey(name: "biz2", version: "2.0.0")

    func pod(status: PodStatus? = nil) -> Pod {
        Fixtures.pod("p", containers: [Fixtures.container("biz1", version: "1.0.0"), Fixtures.container("biz2", version: "2.0.0")],
                     status: status)
    }

    func compute(_ pod: Pod, _ states: [BizKey: BizObservation], reachability: BaseReachability = .reachable) -> PodStatus {
        PodStatusModel.status(of: pod, baseIP: "10.0.0.7", reachability: reachability, now: now) { states[$0] ?? .absent }
    }

    @Test func activatedBizzesMakeARunningReadyPod() throws {
        let changed = Fixtures.epoch.addingTimeInterval(12.345)
        let status = compute(pod(), [
            v1: .reported(Fixtures.entry(v1, .activated, at: changed), reportedAt: now),
            b2: .reported(Fixtures.entry(b2, .activated, at: changed), reportedAt: now),
        ])
        #expect(status.phase == "Running")
        #expect(status.condition("Ready")?.status == "True")
        #expect(status.condition("ContainersReady")?.status == "True")
        #expect(status.hostIP == "10.0.0.7" && status.podIP == "10.0.0.7" && status.podIPs == [PodIP(ip: "10.0.0.7")])
        #expect(status.startTime == KubeTime(Fixtures.epoch.addingTimeInterval(100)))
        let first = try #require(status.containerStatuses?.first)
        #expect(first.containerID == "ark://biz1:1.0.0")
        #expect(first.ready && first.started == true)
        #expect(first.state?.running?.startedAt == KubeTime(Fixtures.epoch.addingTimeInterval(12)))
        #expect(first.image == "https://repo.example/biz1-1.0.0-ark-biz.jar")
    }

    @Test func deactivatedBizIsWaitingAndThePodNotReady() throws {
        let status = compute(pod(), [
            v1: .reported(BizStatusEntry(key: v1, state: .deactivated, changeTime: now, reason: "SWITCHED", message: "biz1:2 activated"),
                          reportedAt: now),
            b2: .reported(Fixtures.entry(b2, .activated), reportedAt: now),
        ])
        #expect(status.phase == "Running")
        #expect(status.condition("Ready")?.status == "False")
        #expect(status.condition("Ready")?.reason == "ContainersNotReady")
        #expect(status.condition("Ready")?.message == "containers with unready status: [biz1]")
        let waiting = try #require(status.containerStatuses?.first?.state?.waiting)
        #expect(waiting.reason == "DEACTIVATED")
        #expect(waiting.message == "SWITCHED: biz1:2 activated")
    }

    @Test func installFailureShowsTheArkletCodeAndMessage() throws {
        let status = compute(pod(), [v1: .installFailed(code: "FAILED", message: "download failed: 404")])
        let waiting = try #require(status.containerStatuses?.first?.state?.waiting)
        #expect(waiting.reason == "FAILED")
        #expect(waiting.message == "download failed: 404")
        #expect(status.phase == "Running")
        #expect(status.condition("Ready")?.status == "False")
    }

    @Test func unreportedBizzesArePendingAndStoppedOnesSucceeded() {
        #expect(compute(pod(), [:]).phase == "Pending")
        let stopped = compute(pod(), [
            v1: .reported(Fixtures.entry(v1, .stopped), reportedAt: now),
            b2: .reported(Fixtures.entry(b2, .stopped), reportedAt: now),
        ])
        #expect(stopped.phase == "Succeeded")
        #expect(stopped.containerStatuses?.first?.state?.terminated?.exitCode == 1)
        #expect(PodStatusModel.phase(of: []) == "Succeeded")
    }

    @Test func anUnreachableBaseTakesReadinessAway() {
        let status = compute(pod(), [
            v1: .reported(Fixtures.entry(v1, .activated), reportedAt: now),
            b2: .reported(Fixtures.entry(b2, .activated), reportedAt: now),
        ], reachability: .unreachable(reason: "BaseUnreachable", message: "silent"))
        #expect(status.condition("Ready")?.status == "False")
        #expect(status.condition("Ready")?.reason == "BaseUnreachable")
        #expect(status.containerStatuses?.allSatisfy { !$0.ready } == true)
    }

    @Test func conditionsWeDoNotOwnStayAndTransitionTimesMoveOnlyOnChange() throws {
        let scheduled = PodCondition(type: "PodScheduled", status: "True", lastTransitionTime: KubeTime(Fixtures.epoch))
        let earlier = KubeTime(Fixtures.epoch.addingTimeInterval(5))
        let before = PodStatus(phase: "Running", conditions: [
            scheduled,
            PodCondition(type: "Ready", status: "False", lastTransitionTime: earlier),
            PodCondition(type: "ContainersReady", status: "False", lastTransitionTime: earlier),
        ], startTime: earlier)
        let notReady = compute(pod(status: before), [:])
        #expect(notReady.condition("PodScheduled") == scheduled)
        #expect(notReady.condition("Ready")?.lastTransitionTime == earlier)
        #expect(notReady.startTime == earlier)
        let ready = compute(pod(status: before), [
            v1: .reported(Fixtures.entry(v1, .activated), reportedAt: now),
            b2: .reported(Fixtures.entry(b2, .activated), reportedAt: now),
        ])
        #expect(ready.condition("Ready")?.lastTransitionTime == KubeTime(Fixtures.epoch.addingTimeInterval(100)))
        #expect(ready.condition("Ready")?.lastProbeTime == nil)
    }

    @Test func aStatusTheServerAlreadyHasNeedsNoWrite() throws {
        let states: [BizKey: BizObservation] = [
            v1: .reported(Fixtures.entry(v1, .activated, at: Fixtures.epoch.addingTimeInterval(0.999)), reportedAt: now),
            b2: .reported(Fixtures.entry(b2, .resolved), reportedAt: now),
        ]
        let first = compute(pod(), states)
        #expect(PodStatusModel.differs(current: nil, computed: first))
        // What the API server gives back after the write, then a recomputation an hour later.
        let stored = try Fixtures.roundTrip(first)
        let again = PodStatusModel.status(of: pod(status: stored), baseIP: "10.0.0.7", reachability: .reachable,
                                          now: now.addingTimeInterval(3600)) { states[$0] ?? .absent }
        #expect(!PodStatusModel.differs(current: stored, computed: again))
        #expect(again == stored)
    }

    @Test func thePatchCarriesOnlyOwnedConditions() throws {
        var status = compute(pod(), [:])
        status.conditions?.append(PodCondition(type: "PodScheduled", status: "True"))
        let patch = try PodStatusModel.patch(for: status)
        let types = patch[path: ["status", "conditions"]]?.arrayValue?.compactMap { $0["type"]?.stringValue }
        #expect(types == ["Ready", "ContainersReady"])
        #expect(patch[path: ["status", "podIPs"]] == [["ip": "10.0.0.7"], ["$patch": "replace"]])
    }

    @Test func thePatchClearsAReasonAndMessageTheConditionNoLongerHas() throws {
        let ready = compute(pod(), [
            v1: .reported(Fixtures.entry(v1, .activated), reportedAt: now),
            b2: .reported(Fixtures.entry(b2, .activated), reportedAt: now),
        ])
        #expect(ready.condition("Ready")?.reason == nil)
        let patch = try PodStatusModel.patch(for: ready)
        for condition in patch[path: ["status", "conditions"]]?.arrayValue ?? [] {
            #expect(condition["reason"] == .null)
            #expect(condition["message"] == .null)
        }
    }

    @Test func withoutReadinessKeepsContainerStatesButNotReady() throws {
        let running = compute(pod(), [
            v1: .reported(Fixtures.entry(v1, .activated), reportedAt: now),
            b2: .reported(Fixtures.entry(b2, .activated), reportedAt: now),
        ])
        let taken = PodStatusModel.withoutReadiness(pod(status: running), reason: "BaseUnreachable", message: "silent", now: now)
        #expect(taken.condition("Ready")?.status == "False")
        #expect(taken.containerStatuses?.map(\.ready) == [false, false])
        #expect(taken.containerStatuses?.first?.state?.running != nil)
    }
}

@Suite struct StatusWriteOrderTests {
    func write(_ name: String, created seconds: TimeInterval, ready: Bool, becomesReady: Bool) -> PodStatusWrite {
        let status = { (value: Bool) in PodStatus(conditions: [PodCondition(type: "Ready", status: value ? "True" : "False")]) }
        let pod = Fixtures.pod(name, containers: [], created: Fixtures.epoch.addingTimeInterval(seconds), status: status(ready))
        return PodStatusWrite(pod: pod, status: status(becomesReady))
    }

    @Test func writesThatTakeReadinessAwayComeFirstOldestFirst() {
        let writes = [
            write("new-v2", created: 30, ready: false, becomesReady: true),
            write("old-b", created: 20, ready: true, becomesReady: false),
            write("other", created: 10, ready: false, becomesReady: false),
            write("old-a", created: 5, ready: true, becomesReady: false),
        ]
        let (revoking, others) = StatusWriteOrder.order(writes)
        #expect(revoking.map { $0.pod.metadata.name } == ["old-a", "old-b"])
        #expect(others.map { $0.pod.metadata.name } == ["other", "new-v2"])
    }
}
