import Arklet
import Foundation
import KubeClient
@testable import VirtualKubelet

/// Builders of the objects the unit tests feed the models.
enum Fixtures {
    static let epoch = Date(timeIntervalSince1970: 1_800_000_000)

    static func container(_ name: String, version: String, url: String? = nil) -> Container {
        Container(name: name, image: url ?? "https://repo.example/\(name)-\(version)-ark-biz.jar",
                  env: [EnvVar(name: "BIZ_VERSION", value: version)])
    }

    static func pod(
        _ name: String, containers: [Container], node: String = "vnode.base-1.test", uid: String? = nil,
        created: Date = epoch, deleting: Bool = false, grace: Int64 = 30, status: PodStatus? = nil,
        labels: [String: String] = ["virtual-kubelet.koupleless.io/component": "module"]
    ) -> Pod {
        var metadata = ObjectMeta(name: name, namespace: "default", labels: labels)
        metadata.uid = uid ?? "uid-\(name)"
        metadata.resourceVersion = "1"
        metadata.creationTimestamp = KubeTime(created)
        if deleting {
            metadata.deletionTimestamp = KubeTime(created.addingTimeInterval(60))
            metadata.deletionGracePeriodSeconds = grace
        }
        return Pod(metadata: metadata, spec: PodSpec(nodeName: node, containers: containers), status: status)
    }

    static func entry(_ key: BizKey, _ state: ArkState, at: Date = epoch) -> BizStatusEntry {
        BizStatusEntry(key: key, state: state, changeTime: at, reason: "TEST", message: nil)
    }

    static func name(_ identity: String = "base-1", env: String = "test") -> VNodeName {
        try! VNodeName.make(identity: identity, env: env).get()
    }

    /// An owned record whose base reported `entries` at `reportedAt`.
    static func record(
        entries: [BizStatusEntry]?, reportedAt: Date = epoch, now: Duration = .seconds(100),
        ownedSince: Duration = .seconds(0)
    ) -> VNodeRecord {
        var record = VNodeRecord(name: name(), tunnel: 0, tunnelConfirmed: true,
                                 profile: BaseProfile(metadata: nil, localIP: "10.0.0.7", localHostName: "base-1", port: 0),
                                 now: now, mayAcquire: true)
        record.ownership = .owned(since: ownedSince, renewedAt: now)
        if let entries {
            record.report = BizReport(BizListReport(bizzes: entries, reportedAt: reportedAt))
        }
        return record
    }

    /// `value` encoded and decoded again, as a round trip through the API server does.
    static func roundTrip<T: Codable>(_ value: T) throws -> T {
        try KubeJSON.decode(T.self, from: KubeJSON.encode(value))
    }
}
