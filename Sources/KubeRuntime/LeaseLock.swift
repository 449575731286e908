import Foundation
import KubeClient
import Logging

/// What a lease attempt found.
public enum LeaseOutcome: Sendable, Equatable {
    /// We hold the lease (created, renewed or taken over); `lease` is the server's copy.
    case held(Lease, acquired: Bool)
    /// Another holder's lease is still valid until `expiresAt` (wall clock).
    case heldByOther(holder: String, expiresAt: Date)
}

/// Standard Kubernetes lease semantics on `coordination.k8s.io/v1` Leases, for any number of named
/// leases: create, renew, take over one whose `renewTime + leaseDurationSeconds` has passed (setting
/// `acquireTime` and incrementing `leaseTransitions`), and release. Every write carries the
/// resourceVersion it was based on, so two contenders can never both win.
public struct LeaseLock: Sendable {
    public let client: KubernetesClient
    public let identity: String
    public let leaseDuration: Duration
    public let clock: any ControllerClock

    public init(client: KubernetesClient, identity: String, leaseDuration: Duration = .seconds(40),
        clock: any ControllerClock = SystemClock())
    {
        self.client = client
        self.identity = identity
        self.leaseDuration = leaseDuration
        self.clock = clock
    }

    private var durationSeconds: Int { Int(leaseDuration.components.seconds) }

    /// Creates, renews or takes over the lease. Throws on API failures; a lost race (409) is
    /// answered by reading the lease again once.
    ///
    /// With `known`, a recent copy of the lease (the answer to this replica's last write, or what
    /// a watch of the Leases delivered), no read is needed: a lease valid for another holder is
    /// reported from it, and a renewal or takeover is one patch carrying its resourceVersion. A
    /// stale copy costs a 409 and then the usual read; it can never win a lease wrongly.
    public func acquireOrRenew(namespace: String, name: String, labels: [String: String] = [:], known: Lease? = nil)
        async throws -> LeaseOutcome
    {
        if let known, known.metadata.resourceVersion != nil {
            do {
                return try await decide(known, namespace: namespace, name: name, labels: labels)
            } catch let error as KubeAPIError where error.isConflict || error.isNotFound {
                // The copy was stale: read the lease.
            }
        }
        for attempt in 1...2 {
            do {
                return try await attemptOnce(namespace: namespace, name: name, labels: labels)
            } catch let error as KubeAPIError where (error.isConflict || error.isAlreadyExists) && attempt == 1 {
                continue
            }
        }
        return try await attemptOnce(namespace: namespace, name: name, labels: labels)
    }

    private func attemptOnce(namespace: String, name: String, labels: [String: String]) async throws -> LeaseOutcome {
        let existing: Lease
        do {
            existing = try await client.get(Lease.self, namespace: namespace, name: name)
        } catch let error as KubeAPIError where error.isNotFound {
            let now = clock.wallNow
            var lease = Lease(
                metadata: ObjectMeta(name: name, namespace: namespace, labels: labels.isEmpty ? nil : labels),
                spec: LeaseSpec(
                    holderIdentity: identity, leaseDurationSeconds: durationSeconds, acquireTime: KubeMicroTime(now),
                    renewTime: KubeMicroTime(now), leaseTransitions: 0))
            lease.setTypeMeta()
            return .held(try await client.create(lease, namespace: namespace), acquired: true)
        }
        return try await decide(existing, namespace: namespace, name: name, labels: labels)
    }

    /// Decides from `existing` (the server's copy as last seen) and writes if the lease is ours to take.
    private func decide(_ existing: Lease, namespace: String, name: String, labels: [String: String]) async throws
        -> LeaseOutcome
    {
        let now = clock.wallNow
        let spec = existing.spec ?? LeaseSpec()
        let holder = spec.holderIdentity ?? ""
        let duration = TimeInterval(spec.leaseDurationSeconds ?? durationSeconds)
        let expiresAt = (spec.renewTime?.date ?? .distantPast).addingTimeInterval(duration)
        let ours = holder == identity
        if !ours, !holder.isEmpty, expiresAt > now {
            return .heldByOther(holder: holder, expiresAt: expiresAt)
        }
        var patch: JSONValue = [
            "metadata": ["resourceVersion": .string(existing.metadata.resourceVersion ?? "")],
            "spec": [
                "holderIdentity": .string(identity),
                "leaseDurationSeconds": .int(Int64(durationSeconds)),
                "renewTime": .string(KubeMicroTime(now).description),
            ],
        ]
        if !labels.isEmpty, labels.contains(where: { existing.metadata.labels?[$0.key] != $0.value }) {
            patch.set(.object(labels.mapValues { .string($0) }), at: ["metadata", "labels"])
        }
        let acquired = !ours
        if acquired {
            patch.set(.string(KubeMicroTime(now).description), at: ["spec", "acquireTime"])
            patch.set(.int(Int64((spec.leaseTransitions ?? 0) + 1)), at: ["spec", "leaseTransitions"])
        }
        let lease = try await client.patch(Lease.self, namespace: namespace, name: name, patch: .merge(patch))
        return .held(lease, acquired: acquired)
    }

    /// Gives the lease up if we hold it: clears the holder and sets a renew time that makes it
    /// expired at once, so another replica can take it without waiting.
    public func release(namespace: String, name: String) async throws {
        let existing: Lease
        do {
            existing = try await client.get(Lease.self, namespace: namespace, name: name)
        } catch let error as KubeAPIError where error.isNotFound {
            return
        }
        guard existing.spec?.holderIdentity == identity else { return }
        let patch: JSONValue = [
            "metadata": ["resourceVersion": .string(existing.metadata.resourceVersion ?? "")],
            "spec": [
                "holderIdentity": nil,
                "leaseDurationSeconds": 1,
                "renewTime": .string(KubeMicroTime(clock.wallNow.addingTimeInterval(-2)).description),
            ],
        ]
        _ = try await client.patch(Lease.self, namespace: namespace, name: name, patch: .merge(patch))
    }
}

/// Holds one lease for as long as it runs: acquires (waiting while another holder's lease is
/// valid), renews every `renewInterval`, reports gains and losses, and releases it when cancelled.
public struct LeaseHolder: Sendable {
    public let lock: LeaseLock
    public let namespace: String
    public let name: String
    public let renewInterval: Duration
    public let labels: [String: String]
    private let logger: Logger

    public init(lock: LeaseLock, namespace: String, name: String, renewInterval: Duration = .seconds(10),
        labels: [String: String] = [:], logger: Logger)
    {
        self.lock = lock
        self.namespace = namespace
        self.name = name
        self.renewInterval = renewInterval
        self.labels = labels
        self.logger = logger
    }

    /// Runs until cancelled; `onChange(true)` when leadership is gained, `onChange(false)` when lost.
    /// On cancellation the lease is released if held.
    public func run(onChange: @Sendable (Bool) async -> Void) async {
        var holding = false
        while !Task.isCancelled {
            var wait = renewInterval
            do {
                switch try await lock.acquireOrRenew(namespace: namespace, name: name, labels: labels) {
                case .held:
                    if !holding {
                        holding = true
                        logger.info("lease acquired", metadata: ["lease": "\(namespace)/\(name)"])
                        await onChange(true)
                    }
                case .heldByOther(let holder, let expiresAt):
                    if holding {
                        holding = false
                        logger.info("lease lost", metadata: ["lease": "\(namespace)/\(name)", "holder": "\(holder)"])
                        await onChange(false)
                    }
                    let remaining = expiresAt.timeIntervalSince(lock.clock.wallNow)
                    wait = min(renewInterval, .milliseconds(max(100, Int(remaining * 1000) + 100)))
                }
            } catch {
                logger.info("lease attempt failed", metadata: ["lease": "\(namespace)/\(name)", "error": "\(error)"])
            }
            do {
                try await lock.clock.sleep(for: wait)
            } catch {
                break
            }
        }
        if holding {
            do {
                // The release must run although this task is cancelled: an unstructured task does
                // not inherit the cancellation, and we wait for it, so nothing outlives `run`.
                let (lock, namespace, name) = (lock, namespace, name)
                try await Task { try await lock.release(namespace: namespace, name: name) }.value
                logger.info("lease released", metadata: ["lease": "\(namespace)/\(name)"])
            } catch {
                logger.info("lease release failed", metadata: ["lease": "\(namespace)/\(name)", "error": "\(error)"])
            }
            await onChange(false)
        }
    }
}
