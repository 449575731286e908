import Arklet
import Foundation
import KubeClient
import Testing
@testable import VirtualKubelet

@Suite struct VNodeModelTests {
    let name = Fixtures.name("10.1.0.45", env: "dev")
    let base = BaseProfile(metadata: BaseMetadata(identity: "10.1.0.45", name: "base", version: "1.0.0", clusterName: "default"),
                           localIP: "10.1.0.45", localHostName: "base-7f9c", port: 0)

    @Test func labelsAndTaintsAreTheUpstreamOnes() {
        let labels = VNodeModel.labels(name: name, base: base)
        #expect(labels == [
            "type": "virtual-kubelet", "kubernetes.io/role": "agent", "kubernetes.io/hostname": "base-7f9c",
            "base.koupleless.io/host-name": "base-7f9c", "base.koupleless.io/name": "base",
            "base.koupleless.io/version": "1.0.0", "base.koupleless.io/cluster-name": "default",
            "virtual-kubelet.koupleless.io/component": "vnode", "virtual-kubelet.koupleless.io/env": "dev",
        ])
        var http = base
        http.port = 1238
        #expect(VNodeModel.labels(name: name, base: http)["base.koupleless.io/tunnel-port"] == "1238")
        #expect(VNodeModel.taints(env: "dev") == [
            Taint(key: "schedule.koupleless.io/virtual-node", value: "True", effect: "NoExecute"),
            Taint(key: "schedule.koupleless.io/node-env", value: "dev", effect: "NoExecute"),
        ])
        var odd = base
        odd.metadata?.name = "TO BE IMPLEMENTED"
        #expect(VNodeModel.labels(name: name, base: odd)["base.koupleless.io/name"] == "")
    }

    @Test func memoryComesFromMetaspaceAndIsLeftOutWhenUnbounded() {
        let bounded = HealthData(maxMetaspace: 268_435_456, committedMetaspace: 83_886_080, usedMetaspace: 1, masterBizInfo: nil)
        let status = VNodeModel.status(base: base, health: bounded, reachability: .reachable, current: nil, now: Fixtures.epoch)
        #expect(status.capacity == ["pods": "65535", "memory": "262144Ki"])
        #expect(status.allocatable == ["pods": "65535", "memory": "180224Ki"])
        let unbounded = HealthData(maxMetaspace: -1, committedMetaspace: 83_886_080, usedMetaspace: 1, masterBizInfo: nil)
        let without = VNodeModel.status(base: base, health: unbounded, reachability: .reachable, current: status, now: Fixtures.epoch)
        #expect(without.capacity == ["pods": "65535"])
        let patch = try? VNodeModel.statusPatch(current: status, desired: without)
        #expect(patch?[path: ["status", "capacity", "memory"]] == .null)
    }

    @Test func readyFollowsReachabilityAndOnlyRealChangesNeedWrites() throws {
        let ready = VNodeModel.status(base: base, health: nil, reachability: .reachable, current: nil, now: Fixtures.epoch)
        #expect(ready.condition("Ready")?.status == "True")
        #expect(ready.addresses == [NodeAddress(type: "InternalIP", address: "10.1.0.45"), NodeAddress(type: "Hostname", address: "base-7f9c")])
        let stored = try Fixtures.roundTrip(ready)
        let later = VNodeModel.status(base: base, health: nil, reachability: .reachable, current: stored,
                                      now: Fixtures.epoch.addingTimeInterval(600))
        #expect(!VNodeModel.differs(current: stored, desired: later))
        let down = VNodeModel.status(base: base, health: nil,
                                     reachability: .unreachable(reason: "BaseUnreachable", message: "silent"),
                                     current: stored, now: Fixtures.epoch.addingTimeInterval(600))
        #expect(VNodeModel.differs(current: stored, desired: down))
        #expect(down.condition("Ready")?.status == "False")
        #expect(down.condition("Ready")?.reason == "BaseUnreachable")
        #expect(down.condition("Ready")?.lastTransitionTime == KubeTime(Fixtures.epoch.addingTimeInterval(600)))
        #expect(down.condition("MemoryPressure")?.lastTransitionTime == KubeTime(Fixtures.epoch))
    }

    @Test func labelChangesOnlyTouchOurKeys() {
        let changes = VNodeModel.labelChanges(
            current: ["base.koupleless.io/version": "0.9", "team": "a", "base.koupleless.io/tunnel-port": "1238"],
            desired: ["base.koupleless.io/version": "1.0.0"])
        #expect(changes.count == 2)
        #expect(changes["base.koupleless.io/version"] == .some("1.0.0"))
        #expect(changes["base.koupleless.io/tunnel-port"] == .some(nil))
    }

    @Test func profileFromAnExistingNode() {
        let node = VNodeModel.node(name: name, base: base,
                                   status: VNodeModel.status(base: base, health: nil, reachability: .reachable, current: nil, now: Fixtures.epoch))
        let profile = BaseProfile(node: node)
        #expect(profile.localIP == "10.1.0.45" && profile.localHostName == "base-7f9c" && profile.port == 0)
        #expect(node.spec?.taints?.count == 2)
    }
}

@Suite struct VNodeRecordTests {
    @Test func livenessThresholds() {
        var record = Fixtures.record(entries: [], now: .seconds(100))
        record.lastRefresh = .seconds(100)
        #expect(record.reachability(now: .seconds(125), unreachableAfter: .seconds(25)) == .reachable)
        #expect(!record.reachability(now: .seconds(125.5), unreachableAfter: .seconds(25)).isReachable)
        #expect(!record.isDead(now: .seconds(159), deadAfter: .seconds(60)))
        #expect(record.isDead(now: .seconds(160), deadAfter: .seconds(60)))
        record.deactivatedState = "DEACTIVATED"
        guard case .unreachable(let reason, let message) = record.reachability(now: .seconds(101), unreachableAfter: .seconds(25)) else {
            Issue.record("still reachable")
            return
        }
        #expect(reason == "BaseDeactivated")
        #expect(message.contains("DEACTIVATED"))
        record.refresh(at: .seconds(102))
        #expect(record.reachability(now: .seconds(103), unreachableAfter: .seconds(25)) == .reachable)
    }

    @Test func healthAnswersRefreshOrCloseLiveness() {
        var record = Fixtures.record(entries: [], now: .seconds(0))
        let master = { (state: ArkState) in
            HealthReport(code: .success, healthData: HealthData(maxMetaspace: 2048, committedMetaspace: 1024, usedMetaspace: 1,
                                                                masterBizInfo: MasterBizInfo(bizName: "base", bizVersion: "1", bizState: state)),
                         reportedAt: Fixtures.epoch)
        }
        let result1 = record.apply(master(.activated), at: .seconds(50))
        #expect(result1)
        #expect(record.lastRefresh == .seconds(50))
        let result2 = record.apply(master(.deactivated), at: .seconds(60))
        #expect(result2)
        #expect(record.deactivatedState == "DEACTIVATED")
        let result3 = record.apply(HealthReport(code: .failed, healthData: nil, reportedAt: Fixtures.epoch), at: .seconds(70))
        #expect(!result3)
    }

    @Test func olderBizListsAreIgnored() {
        var record = Fixtures.record(entries: [], reportedAt: Fixtures.epoch.addingTimeInterval(10))
        let key = BizKey(name: "a", version: "1")
        let result4 = record.apply(BizListReport(bizzes: [Fixtures.entry(key, .activated)], reportedAt: Fixtures.epoch))
        #expect(!result4)
        #expect(record.report?.entries.isEmpty == true)
        let result5 = record.apply(BizListReport(bizzes: [Fixtures.entry(key, .activated)], reportedAt: Fixtures.epoch.addingTimeInterval(11)))
        #expect(result5)
        #expect(record.report?.entries[key]?.state == .activated)
    }

    @Test func failuresBackOffExponentiallyUpToTheCap() {
        var record = Fixtures.record(entries: [])
        let biz = BizModel(bizName: "a", bizVersion: "1", bizUrl: "u")
        let operation = BizOperation(kind: .install, biz: biz, startedAt: .zero)
        let failed = BizOperationOutcome(command: .installBiz, key: biz.key, code: .failed, message: "boom",
                                         clientCode: "FAILED", clientMessage: "trace", reportedAt: Fixtures.epoch)
        var delays: [Duration] = []
        for _ in 0..<5 {
            record.operations[biz.key] = operation
            let failure = record.finish(operation, outcome: .success(failed), now: .seconds(100), retryBase: .seconds(1), retryMax: .seconds(6))
            delays.append((failure?.retryAt ?? .zero) - .seconds(100))
        }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(6), .seconds(6)])
        #expect(record.failures[biz.key]?.code == "FAILED" && record.failures[biz.key]?.message == "boom")
        #expect(record.observation(of: biz.key) == .installFailed(code: "FAILED", message: "boom"))
        #expect(record.operations.isEmpty && record.bizListWanted)

        let repeated = BizOperationOutcome(command: .installBiz, key: biz.key, code: .failed, clientCode: "REPEAT_BIZ",
                                           reportedAt: Fixtures.epoch.addingTimeInterval(1))
        let result6 = record.finish(operation, outcome: .success(repeated), now: .seconds(200), retryBase: .seconds(1), retryMax: .seconds(6))
        #expect(result6 == nil)
        #expect(record.failures.isEmpty)
        #expect(record.installedURLs[biz.key] == "u")
        #expect(!record.isSettled(biz.key))
    }

    @Test func gainingOwnershipForgetsOldReports() {
        var record = Fixtures.record(entries: [Fixtures.entry(BizKey(name: "a", version: "1"), .activated)], now: .seconds(10))
        record.ownership = .heldByOther("other")
        let result7 = record.leaseHeld(at: .seconds(20), leaseDuration: .seconds(40))
        #expect(result7)
        #expect(record.report == nil)
        #expect(record.isOwned(now: .seconds(59), leaseDuration: .seconds(40)))
        let result8 = record.leaseHeld(at: .seconds(30), leaseDuration: .seconds(40))
        #expect(!result8)
        #expect(!record.isOwned(now: .seconds(71), leaseDuration: .seconds(40)))
        let result9 = record.leaseHeldByOther("other", now: .seconds(40), leaseDuration: .seconds(40))
        #expect(result9)
    }
}
