import Arklet
import BaseSimulation
import Foundation
import KubeClient
import Testing

/// Steps with their checks that the MQTT and HTTP suites share.
extension ControllerHarness {
    /// Deletes a module pod whose grace period is 30 s and checks contract §4's deletion: the biz
    /// is uninstalled once, then the pod is removed (grace 0) well before its grace period ends.
    func deletePodExpectingUninstall(_ name: String, of biz: BizKey, from arklet: SimulatedArklet,
                                     sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let start = ContinuousClock.now
        let deleting = try await client.delete(Pod.self, namespace: "default", name: name)
        #expect(deleting?.metadata.deletionTimestamp != nil, sourceLocation: sourceLocation)
        try await waitFor("pod \(name) gone", timeout: .seconds(15)) { try await self.pod(name) == nil ? true : nil }
        #expect(ContinuousClock.now - start < .seconds(15), sourceLocation: sourceLocation)
        #expect(await arklet.count(of: .uninstallBiz, key: biz) == 1, sourceLocation: sourceLocation)
        #expect(await arklet.bizStates[biz] == nil, sourceLocation: sourceLocation)
    }
}
