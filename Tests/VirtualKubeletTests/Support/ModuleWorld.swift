import Arklet
import BaseSimulation
import Foundation
import KubeClient
import Testing
@testable import VirtualKubelet

/// Simulated bases each running one module pod (`app-<n>` with biz `biz<n>` on `base-<n>`), for
/// tests that move vnodes between replicas and check that their pods never notice.
struct ModuleWorld: Sendable {
    let harness: ControllerHarness
    let identities: [String]
    let bases: [String: RunningBase<MQTTSimulatedBase>]

    /// Starts the bases, creates one pod on each and waits until every pod is Ready.
    static func start(_ harness: ControllerHarness, bases count: Int) async throws -> ModuleWorld {
        let identities = (1...count).map { "base-\($0)" }
        var bases: [String: RunningBase<MQTTSimulatedBase>] = [:]
        for identity in identities { bases[identity] = harness.start(harness.makeBase(identity)) }
        for (index, identity) in identities.enumerated() {
            try await harness.createPod("app-\(index + 1)", on: identity, bizzes: [("biz\(index + 1)", "1.0.0")])
        }
        for index in identities.indices { try await harness.waitForPod("app-\(index + 1)", ready: true) }
        return ModuleWorld(harness: harness, identities: identities, bases: bases)
    }

    /// `leaseTransitions` of each vnode's Lease now.
    func leaseTransitions() async throws -> [String: Int] {
        var transitions: [String: Int] = [:]
        for identity in identities { transitions[identity] = try await harness.lease(identity)?.spec?.leaseTransitions ?? 0 }
        return transitions
    }

    /// Waits until `owner` has asked each of `moved` for its biz list three times (it acts for the
    /// vnode), then expects every base to have installed its biz exactly once and uninstalled
    /// nothing, and every pod and Node to be Ready.
    func expectUndisturbed(by owner: RunningController, on moved: [String]) async throws {
        for identity in moved {
            let arklet = try #require(bases[identity]).arklet
            let polls = await arklet.count(of: .queryAllBiz)
            try await waitFor("three biz list polls of \(identity) by \(owner.controller.configuration.clientID)") {
                await arklet.count(of: .queryAllBiz) >= polls + 3 ? true : nil
            }
        }
        for (index, identity) in identities.enumerated() {
            let arklet = try #require(bases[identity]).arklet
            #expect(await arklet.count(of: .installBiz) == 1, "\(identity) installed again")
            #expect(await arklet.count(of: .uninstallBiz) == 0, "\(identity) uninstalled")
            #expect(PodStatusModel.isReady(try await harness.pod("app-\(index + 1)")?.status), "app-\(index + 1)")
            #expect(try await harness.node(identity)?.status?.condition("Ready")?.status == "True", "\(identity)")
        }
    }

    func stop() async {
        for base in bases.values { await base.stop() }
    }
}
