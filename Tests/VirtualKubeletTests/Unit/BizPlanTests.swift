import Arklet
import Foundation
import KubeClient
import Testing
@testable import VirtualKubelet

@Suite struct BizPlanTests {
    let v1 = BizKey(name: "biz1", version: "1.0.0")
    let v2 = BizKey(name: "biz1", version: "2.0.0")
    let now = Duration.seconds(1000)

    func plan(_ record: VNodeRecord, _ pods: [Pod], grace: Duration = .seconds(120)) -> BizPlan {
        BizPlan.make(record: record, pods: pods, now: now, uninstallWaitTimeout: .seconds(25), orphanGracePeriod: grace)
    }

    var pod1: Pod { Fixtures.pod("p1", containers: [Fixtures.container("biz1", version: "1.0.0")]) }

    @Test func nothingHappensBeforeTheBaseReportedItsBizzes() {
        let result = plan(Fixtures.record(entries: nil), [pod1])
        #expect(result.installs.isEmpty && result.uninstalls.isEmpty && result.podsToDelete.isEmpty)
    }

    @Test func aMissingBizIsInstalledOnceAndNotWhileInFlightOrUnsettledOrBackingOff() {
        let record = Fixtures.record(entries: [])
        #expect(plan(record, [pod1]).installs.map(\.key) == [v1])

        var inFlight = record
        inFlight.operations[v1] = BizOperation(kind: .install, biz: ModulePod.bizzes(of: pod1)[0], startedAt: now)
        #expect(plan(inFlight, [pod1]).installs.isEmpty)

        var unsettled = record
        unsettled.lastResultAt[v1] = Fixtures.epoch.addingTimeInterval(1)
        #expect(plan(unsettled, [pod1]).installs.isEmpty)

        var backingOff = record
        backingOff.failures[v1] = BizFailure(kind: .install, code: "FAILED", message: "x", attempts: 1, retryAt: now + .seconds(4))
        let waiting = plan(backingOff, [pod1])
        #expect(waiting.installs.isEmpty)
        #expect(waiting.nextWake == now + .seconds(4))
    }

    @Test func aRunningBizIsAdoptedNotReinstalled() {
        let result = plan(Fixtures.record(entries: [Fixtures.entry(v1, .activated)]), [pod1])
        #expect(result.installs.isEmpty && result.uninstalls.isEmpty)
        #expect(result.adoptedURLs[v1] == pod1.spec?.containers[0].image)
    }

    @Test func aChangedImageIsUninstalledFirst() {
        var record = Fixtures.record(entries: [Fixtures.entry(v1, .activated)])
        record.installedURLs[v1] = "https://old/biz1.jar"
        let result = plan(record, [pod1])
        #expect(result.uninstalls.map(\.biz) == [BizModel(bizName: "biz1", bizVersion: "1.0.0", bizUrl: "https://old/biz1.jar")])
        #expect(result.installs.isEmpty)
    }

    @Test func aBrokenBizIsUninstalledToBeInstalledAgain() {
        let result = plan(Fixtures.record(entries: [Fixtures.entry(v1, .broken)]), [pod1])
        #expect(result.uninstalls.map(\.biz.key) == [v1])
    }

    @Test func aDeletedPodsBizIsUninstalledAndThePodRemovedOnceGone() {
        let deleting = Fixtures.pod("p1", containers: [Fixtures.container("biz1", version: "1.0.0")], deleting: true)
        let running = plan(Fixtures.record(entries: [Fixtures.entry(v1, .activated)]), [deleting])
        #expect(running.uninstalls.map(\.biz.key) == [v1])
        #expect(running.podsToDelete.isEmpty)
        #expect(running.deletionSeen["uid-p1"] == now)
        #expect(running.nextWake == now + .seconds(25))

        let gone = plan(Fixtures.record(entries: []), [deleting])
        #expect(gone.podsToDelete.map(\.metadata.name) == ["p1"])
        #expect(gone.uninstalls.isEmpty)
    }

    @Test func aDeletedPodIsRemovedAfterTheWaitTimesOut() {
        let deleting = Fixtures.pod("p1", containers: [Fixtures.container("biz1", version: "1.0.0")], deleting: true, grace: 10)
        var record = Fixtures.record(entries: [Fixtures.entry(v1, .activated)])
        record.deletionSeen["uid-p1"] = now - .seconds(10)
        #expect(plan(record, [deleting]).podsToDelete.count == 1)
    }

    @Test func aBizStillWantedByAnotherLivePodIsKept() {
        let deleting = Fixtures.pod("old", containers: [Fixtures.container("biz1", version: "1.0.0")], uid: "old", deleting: true)
        let replacement = Fixtures.pod("new", containers: [Fixtures.container("biz1", version: "1.0.0")], uid: "new")
        let result = plan(Fixtures.record(entries: [Fixtures.entry(v1, .activated)]), [deleting, replacement])
        #expect(result.uninstalls.isEmpty)
        #expect(result.podsToDelete.map(\.metadata.name) == ["old"])
    }

    @Test func rollingUpdateKeepsTheDeactivatedOldVersionUntilItsPodGoes() {
        let old = Fixtures.pod("old", containers: [Fixtures.container("biz1", version: "1.0.0")], uid: "old")
        let new = Fixtures.pod("new", containers: [Fixtures.container("biz1", version: "2.0.0")], uid: "new",
                               created: Fixtures.epoch.addingTimeInterval(10))
        let record = Fixtures.record(entries: [Fixtures.entry(v1, .deactivated), Fixtures.entry(v2, .activated)])
        let both = plan(record, [old, new])
        #expect(both.installs.isEmpty && both.uninstalls.isEmpty)
        var deleting = old
        deleting.metadata.deletionTimestamp = KubeTime(Fixtures.epoch)
        let afterDelete = plan(record, [deleting, new])
        #expect(afterDelete.uninstalls.map(\.biz.key) == [v1])
    }

    @Test func orphansWaitForTheGracePeriodReleasedAndBaselineBizzesDoNot() {
        let stray = BizKey(name: "stray", version: "1")
        var record = Fixtures.record(entries: [Fixtures.entry(stray, .activated)], ownedSince: .zero)
        let first = plan(record, [])
        #expect(first.uninstalls.isEmpty)
        #expect(first.orphanSince[stray] == now)
        #expect(first.nextWake == now + .seconds(120))

        record.orphanSince[stray] = now - .seconds(120)
        #expect(plan(record, []).uninstalls.map(\.biz.key) == [stray])

        var recentlyOwned = record
        recentlyOwned.ownership = .owned(since: now - .seconds(10), renewedAt: now)
        #expect(plan(recentlyOwned, []).uninstalls.isEmpty)

        var baseline = record
        baseline.baselineKeys = [stray]
        #expect(plan(baseline, []).uninstalls.isEmpty)

        var released = Fixtures.record(entries: [Fixtures.entry(stray, .activated)], ownedSince: now)
        released.releasedKeys = [stray]
        #expect(plan(released, []).uninstalls.map(\.biz.key) == [stray])
    }
}
