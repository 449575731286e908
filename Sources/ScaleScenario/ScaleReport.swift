/// What a ``ScaleScenario`` run measured. Latencies are on this process's monotonic clock.
public struct ScaleReport: Sendable {
    /// Request verbs that change something.
    static let writeVerbs: Set<String> = ["create", "update", "patch", "delete", "deletecollection"]

    /// CPU and memory at the end of a phase.
    public struct PhaseUsage: Sendable {
        public var phase: String
        public var usage: ProcessUsage
        /// CPU used during the phase, in cores (1.0 = one core busy all along).
        public var cores: Double
    }

    public var bases: Int
    public var pods: Int
    /// From the fleet's start to each vnode's `Ready=True`.
    public var vnodesReady = LatencySummary([])
    /// How long creating every pod took, and until every pod was Ready (both from the first create).
    public var podCreation: Duration = .zero
    public var allPodsReady: Duration = .zero
    /// Per pod: create request sent → the base received the install.
    public var podToBase = LatencySummary([])
    /// Per pod: the base's install answer → `Ready=True` on the watch.
    public var answerToReady = LatencySummary([])
    /// Per pod: create request sent → `Ready=True` on the watch.
    public var podToReady = LatencySummary([])
    /// Install commands the bases received (more than ``pods`` means repeats).
    public var installCommands = 0
    /// Controller requests during the steady state, by "verb group/resource", and the writes among them.
    public var steadyStateRequests: [String: Int] = [:]
    public var steadyStateWrites: [String: Int] = [:]
    public var steadyStateDuration: Duration = .zero
    /// Per deleted pod: delete request sent → the pod is gone.
    public var deletion = LatencySummary([])
    public var usage: [PhaseUsage] = []
    /// Messages the controller's tunnel dropped (stale, malformed, buffer full).
    public var droppedTunnelMessages = 0
    /// Every controller request of the run, by kind.
    public var controllerRequests: [String: Int] = [:]

    init(bases: Int, pods: Int) {
        self.bases = bases
        self.pods = pods
    }

    /// Whether the only writes of the steady state were Lease renewals.
    public var steadyStateWritesOnlyLeaseRenewals: Bool {
        steadyStateWrites.keys.allSatisfy { $0.hasPrefix("patch coordination.k8s.io/leases") }
    }

    /// The report as text, with the targets of the developers' guide next to the figures.
    public var text: String {
        func verdict(_ ok: Bool) -> String { ok ? "ok" : "OVER TARGET" }
        var lines: [String] = []
        lines.append("scale scenario: \(bases) bases, \(pods) module pods")
        lines.append("vnodes Ready after bases start      \(vnodesReady)")
        lines.append("pods created in                     \(podCreation.milliseconds); all Ready after \(allPodsReady.milliseconds)")
        lines.append("pod created → base gets install     \(podToBase)   [target p99 < 50 ms: \(verdict(podToBase.p99 < .milliseconds(50)))]")
        lines.append("base answer → pod Ready on watch    \(answerToReady)   [target p99 < 50 ms: \(verdict(answerToReady.p99 < .milliseconds(50)))]")
        lines.append("pod created → pod Ready on watch    \(podToReady)")
        lines.append("install commands received           \(installCommands) for \(pods) pods")
        lines.append("steady state (\(steadyStateDuration.milliseconds)) writes  \(Self.render(steadyStateWrites))   [target only lease patches: \(verdict(steadyStateWritesOnlyLeaseRenewals))]")
        lines.append("steady state requests               \(Self.render(steadyStateRequests))")
        lines.append("delete → pod gone                   \(deletion)")
        lines.append("tunnel messages dropped             \(droppedTunnelMessages)")
        for phase in usage {
            let rss = Double(phase.usage.residentBytes) / 1_048_576, peak = Double(phase.usage.peakResidentBytes) / 1_048_576
            lines.append("process after \(phase.phase): \((phase.cores * 100).rounded() / 100) cores during the phase, CPU total \(phase.usage.cpu.milliseconds), RSS \(Int(rss)) MiB (peak \(Int(peak)) MiB)")
        }
        lines.append("controller requests, whole run      \(Self.render(controllerRequests))")
        return lines.joined(separator: "\n")
    }

    private static func render(_ counts: [String: Int]) -> String {
        counts.isEmpty ? "none" : counts.sorted { $0.value > $1.value }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
    }
}
