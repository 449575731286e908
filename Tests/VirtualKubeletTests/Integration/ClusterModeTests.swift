import Arklet
import BaseSimulation
import Foundation
import KubeClient
import Testing
@testable import VirtualKubelet

/// Several replicas against one API server and one broker (contract §3): with `IS_CLUSTER` they
/// spread the vnodes, and each vnode's Lease holder is the only replica acting for it; a replica
/// that stops hands over at once, one that crashes after its Leases expire.
@Suite(.serialized) struct ClusterModeTests {
    @Test func twoReplicasSplitFiveVnodesAsEvenlyAsTheLevelAllows() async throws {
        try await ControllerHarness.with { harness in
            let a = try await harness.startController(harness.clusterConfiguration(clientID: "replica-a", level: 1))
            let b = try await harness.startController(harness.clusterConfiguration(clientID: "replica-b", level: 1))
            try await harness.waitUntilEachSees(["replica-a", "replica-b"], [a, b])
            let identities = (1...5).map { "base-\($0)" }
            let bases = identities.map { harness.start(harness.makeBase($0)) }

            let owners = try await harness.waitForOwners(identities, among: [a, b])
            // Level 1: nobody above ⌈5/2⌉ = 3, so the split is 3 and 2.
            let counts = Dictionary(grouping: owners.values, by: { $0 }).mapValues(\.count)
            #expect(counts.values.sorted() == [2, 3], "\(owners)")
            // Two renewal periods later nothing has moved: every Lease still has its first holder.
            let renewed = try await harness.lease(identities[0])?.spec?.renewTime
            try await waitFor("two more renewals") {
                let now = try await harness.lease(identities[0])?.spec?.renewTime
                return now.flatMap { new in renewed.map { new.date.timeIntervalSince($0.date) >= 3 } } == true ? true : nil
            }
            #expect(try await harness.waitForOwners(identities, among: [a, b]) == owners)
            for identity in identities {
                #expect(try await harness.lease(identity)?.spec?.leaseTransitions == 0, "\(identity) changed hands")
            }
            for base in bases { await base.stop() }
            await a.stop()
            await b.stop()
        }
    }

    @Test func aReplicaThatStopsHandsItsVnodesToTheOtherAtOnceWithoutFlapOrReinstall() async throws {
        try await ControllerHarness.with { harness in
            // Leases last 30 s: a takeover within 10 s cannot have waited for an expiry.
            let shared = try await TwoReplicaWorld.start(harness) { $0.leaseDuration = .seconds(30) }
            let (a, b, world, handedOver, transitions) = (shared.a, shared.b, shared.world, shared.ownedByB, shared.transitions)

            let timeline = try await PodTimeline.recording(client: harness.client) {
                let stopping = ContinuousClock.now
                await b.stop()
                #expect(try await harness.presenceLeases().map(\.spec?.holderIdentity) == ["replica-a"])
                try await harness.waitForOwners(world.identities, among: [a], timeout: .seconds(10))
                #expect(ContinuousClock.now - stopping < .seconds(10))
                try await world.expectUndisturbed(by: a, on: handedOver)
            }
            for identity in world.identities {
                let lease = try #require(try await harness.lease(identity))
                #expect(lease.spec?.holderIdentity == "replica-a")
                let expected = (transitions[identity] ?? 0) + (handedOver.contains(identity) ? 1 : 0)
                #expect(lease.spec?.leaseTransitions == expected, "\(identity)")
            }
            #expect(!timeline.all.contains { !$0.ready }, "readiness flapped: \(timeline.all)")
            await world.stop()
            await a.stop()
        }
    }

    @Test func aCrashedReplicasVnodesAreTakenOverOnceTheirLeasesExpire() async throws {
        try await ControllerHarness.with { harness in
            let shared = try await TwoReplicaWorld.start(harness, crashableB: true) {
                $0.leaseDuration = .seconds(6)
                $0.leaseRenewInterval = .seconds(1)
            }
            let (a, b, world, orphaned, transitions) = (shared.a, shared.b, shared.world, shared.ownedByB, shared.transitions)

            let timeline = try await PodTimeline.recording(client: harness.client) {
                await b.crash()
                // Nothing was released: the crashed replica still holds its Leases until they expire.
                var lastRenewals: [String: Date] = [:]
                for identity in orphaned {
                    let spec = try #require(try await harness.lease(identity)?.spec)
                    #expect(spec.holderIdentity == "replica-b", "\(identity) was released or taken too early")
                    lastRenewals[identity] = spec.renewTime?.date
                }
                try await harness.waitForOwners(world.identities, among: [a], timeout: .seconds(20))
                for identity in orphaned {
                    let spec = try #require(try await harness.lease(identity)?.spec)
                    #expect(spec.leaseTransitions == (transitions[identity] ?? 0) + 1)
                    // Standard semantics: taken only once renewTime + leaseDurationSeconds had passed.
                    let acquired = try #require(spec.acquireTime?.date)
                    let expiry = try #require(lastRenewals[identity]).addingTimeInterval(6)
                    #expect(acquired >= expiry, "\(identity) taken at \(acquired), before its expiry \(expiry)")
                }
                try await world.expectUndisturbed(by: a, on: orphaned)
            }
            #expect(!timeline.all.contains { !$0.ready }, "readiness flapped: \(timeline.all)")
            await world.stop()
            await a.stop()
        }
    }

    @Test func aLateReplicaGetsTheNewVnodesWhileTheFirstHoldsMoreThanItsShare() async throws {
        try await ControllerHarness.with { harness in
            let a = try await harness.startController(harness.clusterConfiguration(clientID: "replica-a", level: 1))
            let first = (1...4).map { "base-\($0)" }
            var bases = first.map { harness.start(harness.makeBase($0)) }
            // Alone, a replica takes every vnode whatever the level.
            let before = try await harness.waitForOwners(first, among: [a])
            #expect(Set(before.values) == ["replica-a"])

            let b = try await harness.startController(harness.clusterConfiguration(clientID: "replica-b", level: 1))
            try await harness.waitUntilEachSees(["replica-a", "replica-b"], [a, b])
            let later = ["base-5", "base-6"]
            bases += later.map { harness.start(harness.makeBase($0)) }
            // replica-a holds 4 of 6 (more than ⌈6/2⌉ = 3): the new vnodes go to replica-b, and
            // replica-a keeps renewing its own (nothing is shed).
            let owners = try await harness.waitForOwners(first + later, among: [a, b])
            #expect(later.map { owners[$0] } == ["replica-b", "replica-b"])
            #expect(first.map { owners[$0] } == Array(repeating: "replica-a", count: 4))
            for identity in first {
                #expect(try await harness.lease(identity)?.spec?.leaseTransitions == 0)
            }
            for base in bases { await base.stop() }
            await a.stop()
            await b.stop()
        }
    }

    @Test func aVnodeNoOtherReplicaTakesIsTakenAnywayAfterTheGrace() async throws {
        try await ControllerHarness.with { harness in
            // A live replica that never acts: it counts in the share but never takes a vnode.
            try await harness.createPhantomReplica("phantom")
            let a = try await harness.startController(harness.clusterConfiguration(clientID: "replica-a", level: 1) {
                $0.leaseDuration = .seconds(3)
                $0.leaseRenewInterval = .seconds(1)
            })
            try await harness.waitUntilEachSees(["phantom", "replica-a"], [a])
            let first = harness.start(harness.makeBase("base-1"))
            try await harness.waitForOwners(["base-1"], among: [a])
            // Two vnodes, two replicas, level 1: replica-a is at its limit of one.
            let heard = Date()
            let second = harness.start(harness.makeBase("base-2"))
            try await harness.waitForOwners(["base-1", "base-2"], among: [a])
            let acquired = try #require(try await harness.lease("base-2")?.spec?.acquireTime?.date)
            #expect(acquired.timeIntervalSince(heard) >= 2.9, "taken \(acquired.timeIntervalSince(heard)) s after start, before the 3 s grace")
            await first.stop()
            await second.stop()
            await a.stop()
        }
    }

    @Test func withoutClusterModeAReplicaTakesEveryFreeVnodeAndWritesNoPresence() async throws {
        try await ControllerHarness.with { harness in
            try await harness.createPhantomReplica("phantom")
            let a = try await harness.startController(harness.configuration(clientID: "replica-a"))
            let identities = (1...3).map { "base-\($0)" }
            let bases = identities.map { harness.start(harness.makeBase($0)) }
            // The harness's lease duration, and so the grace, is 10 s: these are taken at once.
            let owners = try await harness.waitForOwners(identities, among: [a], timeout: .seconds(8))
            #expect(Set(owners.values) == ["replica-a"])
            #expect(a.controller.clusterReplicas.isEmpty)
            #expect(try await harness.presenceLeases().map(\.spec?.holderIdentity) == ["phantom"])
            for base in bases { await base.stop() }
            await a.stop()
        }
    }
}
