import Arklet

/// Supplies a base's baseline: the bizzes it should run at start-up (the containers of the env's
/// module Deployments of its cluster, oldest first — reference §5.3). Implemented by the module
/// deployment controller; the ``VirtualKubeletController`` calls it when a base asks
/// (`queryBaseline`) and this replica owns (or takes) the base's vnode, and answers the base once.
/// Bizzes of the baseline are never uninstalled as orphans.
public protocol BaselineProvider: Sendable {
    func baseline(for metadata: BaseMetadata) async throws -> [BizModel]
}
