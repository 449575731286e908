import Arklet
import BaseSimulation
import Foundation
import KubeClient
import Testing
@testable import VirtualKubelet

/// C-M8: empty, expired and failed messages on a base's report topics change nothing and harm
/// nothing, however alarming what they claim (a DEACTIVATED heartbeat, a deactivated biz, a
/// smaller metaspace).
@Suite(.serialized) struct MalformedReportTests {
    @Test func emptyExpiredAndFailedReportsAreIgnored() async throws {
        try await ControllerHarness.with { harness in
            let controller = try await harness.startController(harness.configuration())
            let base = try await harness.startReadyBase("base-1")
            try await harness.createPod("app", on: "base-1", bizzes: [("biz1", "1.0.0")])
            try await harness.waitForPod("app", ready: true)
            try await waitFor("memory capacity") {
                try await harness.node("base-1")?.status?.capacity?["memory"] == "262144Ki" ? true : nil
            }
            let nodeVersion = try #require(try await harness.node("base-1")?.metadata.resourceVersion)
            let timeline = try await PodTimeline(client: harness.client, namespace: "default")
            let identity = "base-1"
            let now = Date().epochMilliseconds
            let heartbeat = #"{"baseMetadata":{"identity":"\#(identity)","name":"base","version":"1.0.0","clusterName":"default"},"localIP":"10.0.0.1","localHostName":"h","port":0,"state":"DEACTIVATED"}"#
            let bizList = #"[{"name":"biz1","version":"1.0.0","state":"deactivated","latestStateRecord":null}]"#
            let health = #"{"healthData":{"jvm":{"java max metaspace":1048576,"java committed metaspace":1048576},"masterBizInfo":{"bizName":"base","bizVersion":"1.0.0","bizState":"DEACTIVATED"}}}"#
            let garbage: [(BaseReportKind, String)] = [
                (.heart, ""), (.health, ""), (.simpleBiz, ""), (.queryBaseline, ""), (.bizOperation, ""),
                (.heart, "{}"), (.health, "not json"), (.simpleBiz, #"{"publishTimestamp":"#),
                // Expired (publishTimestamp 0 and 11 s old): both claim the worst.
                (.heart, #"{"publishTimestamp":0,"data":\#(heartbeat)}"#),
                (.simpleBiz, #"{"publishTimestamp":\#(now - 11_000),"data":\#(bizList)}"#),
                (.queryBaseline, #"{"publishTimestamp":0,"data":{"identity":"\#(identity)","name":"base","version":"1.0.0"}}"#),
                // Failed answers (code "" and FAILED).
                (.health, #"{"publishTimestamp":\#(now),"data":{"code":"","data":\#(health)}}"#),
                (.health, #"{"publishTimestamp":\#(now),"data":{"code":"FAILED","message":"boom","data":\#(health)}}"#),
            ]
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await timeline.record() }
                for (kind, payload) in garbage { base.base.publishRaw(kind, payload: Array(payload.utf8)) }
                // Later genuine reports arrive after the garbage (one publisher, in order): once the
                // base has answered three more health polls, the garbage has been handled.
                let polls = await base.arklet.count(of: .health)
                try await waitFor("three more health polls") { await base.arklet.count(of: .health) >= polls + 3 ? true : nil }
                group.cancelAll()
            }
            #expect(try await harness.node("base-1")?.metadata.resourceVersion == nodeVersion, "the node was written")
            #expect(!timeline.all.contains { !$0.ready }, "a pod lost readiness: \(timeline.all)")
            #expect(await base.arklet.count(of: .uninstallBiz) == 0)
            #expect(await base.arklet.count(of: .batchInstallBiz) == 0, "an expired baseline query was answered")
            // The controller still works.
            try await harness.createPod("next", on: "base-1", bizzes: [("biz2", "1.0.0")])
            try await harness.waitForPod("next", ready: true)
            await base.stop()
            await controller.stop()
        }
    }
}
