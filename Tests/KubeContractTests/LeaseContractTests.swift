import Foundation
import KubeClient
import KubeRuntime
import Testing

@Suite struct LeaseContractTests {
    /// replica-a and replica-b contending for Leases of 40 s, each with a clock of its own
    /// starting now.
    static func twoReplicas(_ env: ContractEnvironment) -> (LeaseLock, ManualClock, LeaseLock, ManualClock) {
        let start = Date()
        let clockA = ManualClock(wallOrigin: start), clockB = ManualClock(wallOrigin: start)
        return (LeaseLock(client: env.client, identity: "replica-a", leaseDuration: .seconds(40), clock: clockA), clockA,
                LeaseLock(client: env.client, identity: "replica-b", leaseDuration: .seconds(40), clock: clockB), clockB)
    }

    /// Renewing from a known copy (the answer to the last write) needs no read; a stale copy never
    /// wins a lease wrongly: its write is refused (409) and the lease is read as usual.
    @Test func aKnownCopySavesTheReadAndAStaleOneIsHarmless() async throws {
        try await ContractEnvironment.with { env in
            let (a, clockA, b, clockB) = Self.twoReplicas(env)
            guard case .held(let first, _) = try await a.acquireOrRenew(namespace: env.namespace, name: "vnode.k") else {
                Issue.record("replica-a should create the lease")
                return
            }
            clockA.advance(by: .seconds(10))
            guard case .held(let renewed, let acquired) = try await a.acquireOrRenew(namespace: env.namespace, name: "vnode.k",
                                                                                   known: first)
            else {
                Issue.record("replica-a should renew from its copy")
                return
            }
            #expect(!acquired)
            #expect(renewed.spec?.renewTime != first.spec?.renewTime)
            #expect(renewed.spec?.leaseTransitions == 0)

            // A stale copy of replica-a's own: refused, read, renewed all the same.
            clockA.advance(by: .seconds(10))
            guard case .held(let again, false) = try await a.acquireOrRenew(namespace: env.namespace, name: "vnode.k", known: first)
            else {
                Issue.record("replica-a should renew despite a stale copy")
                return
            }
            #expect(again.spec?.holderIdentity == "replica-a")

            // replica-b's stale copy says the lease expired long ago; it is in fact valid: not taken.
            clockB.advance(by: .seconds(45))
            let stale = try await b.acquireOrRenew(namespace: env.namespace, name: "vnode.k", known: first)
            guard case .heldByOther(let holder, _) = stale else {
                Issue.record("replica-b must not take a valid lease from a stale copy, got \(stale)")
                return
            }
            #expect(holder == "replica-a")
            let now = try await env.client.get(Lease.self, namespace: env.namespace, name: "vnode.k")
            #expect(now.spec?.holderIdentity == "replica-a" && now.spec?.leaseTransitions == 0)
        }
    }

    @Test func anExpiredLeaseIsTakenOverAndAReleasedOneAtOnce() async throws {
        try await ContractEnvironment.with { env in
            let (a, clockA, b, clockB) = Self.twoReplicas(env)
            let labels = ["virtual-kubelet.koupleless.io/component": "vnode-lease"]

            guard case .held(let first, let acquired) = try await a.acquireOrRenew(namespace: env.namespace, name: "vnode.x", labels: labels)
            else {
                Issue.record("replica-a should create the lease")
                return
            }
            #expect(acquired)
            #expect(first.spec?.holderIdentity == "replica-a")
            #expect(first.spec?.leaseDurationSeconds == 40)
            #expect(first.metadata.labels == labels)

            clockB.advance(by: .seconds(10))
            let blocked = try await b.acquireOrRenew(namespace: env.namespace, name: "vnode.x")
            guard case .heldByOther(let holder, _) = blocked else {
                Issue.record("replica-b must not take a valid lease, got \(blocked)")
                return
            }
            #expect(holder == "replica-a")

            // replica-a stopped renewing; 41 s after its renewal the lease has expired.
            clockB.advance(by: .seconds(31))
            guard case .held(let taken, let takenOver) = try await b.acquireOrRenew(namespace: env.namespace, name: "vnode.x")
            else {
                Issue.record("replica-b should take over the expired lease")
                return
            }
            #expect(takenOver)
            #expect(taken.spec?.holderIdentity == "replica-b")
            #expect(taken.spec?.leaseTransitions == 1)
            #expect(taken.spec?.acquireTime != nil)
            #expect(taken.metadata.labels == labels)

            // replica-a comes back: the lease is replica-b's now.
            clockA.advance(by: .seconds(42))
            let lost = try await a.acquireOrRenew(namespace: env.namespace, name: "vnode.x")
            guard case .heldByOther(let newHolder, _) = lost else {
                Issue.record("replica-a must see the lease taken, got \(lost)")
                return
            }
            #expect(newHolder == "replica-b")

            // Renewal keeps the holder and the transition count.
            clockB.advance(by: .seconds(10))
            guard case .held(let renewed, let renewAcquired) = try await b.acquireOrRenew(namespace: env.namespace, name: "vnode.x")
            else {
                Issue.record("replica-b should renew")
                return
            }
            #expect(!renewAcquired)
            #expect(renewed.spec?.leaseTransitions == 1)
            #expect(renewed.spec?.renewTime?.date ?? .distantPast > taken.spec?.renewTime?.date ?? .distantFuture)

            // A released lease can be taken at once.
            try await b.release(namespace: env.namespace, name: "vnode.x")
            guard case .held(let back, let backAcquired) = try await a.acquireOrRenew(namespace: env.namespace, name: "vnode.x")
            else {
                Issue.record("replica-a should take the released lease")
                return
            }
            #expect(backAcquired)
            #expect(back.spec?.holderIdentity == "replica-a")
            #expect(back.spec?.leaseTransitions == 2)
        }
    }

    @Test func twoContendersForAnExpiredLeaseProduceOneHolder() async throws {
        try await ContractEnvironment.with { env in
            let start = Date()
            let old = LeaseLock(client: env.client, identity: "gone", clock: ManualClock(wallOrigin: start.addingTimeInterval(-120)))
            _ = try await old.acquireOrRenew(namespace: env.namespace, name: "vnode.race")
            let contenders = (0..<4).map {
                LeaseLock(client: env.client, identity: "replica-\($0)", clock: ManualClock(wallOrigin: start))
            }
            let outcomes = try await withThrowingTaskGroup(of: LeaseOutcome.self) { group in
                for lock in contenders {
                    group.addTask { try await lock.acquireOrRenew(namespace: env.namespace, name: "vnode.race") }
                }
                return try await group.reduce(into: [LeaseOutcome]()) { $0.append($1) }
            }
            let winners = outcomes.filter { if case .held = $0 { return true } else { return false } }
            #expect(winners.count == 1)
            let lease = try await env.client.get(Lease.self, namespace: env.namespace, name: "vnode.race")
            if case .held(let won, _) = winners.first {
                #expect(lease.spec?.holderIdentity == won.spec?.holderIdentity)
            }
        }
    }
}
