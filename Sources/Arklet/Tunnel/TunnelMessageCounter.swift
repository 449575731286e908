import Metrics

/// Counts the reports bases send through a tunnel, by tunnel and kind:
/// `module_controller_tunnel_messages_total{tunnel,kind}`.
enum TunnelMessageCounter {
    static func received(_ event: BaseEvent, via tunnel: TunnelKind) {
        Counter(label: "module_controller_tunnel_messages_total", dimensions: [("tunnel", "\(tunnel)"), ("kind", event.metricKind)])
            .increment()
    }
}

extension BaseEvent {
    /// A short name of the event's kind, for metrics.
    var metricKind: String {
        switch self {
        case .heartbeat: return "heartbeat"
        case .baselineQuery: return "baseline_query"
        case .health: return "health"
        case .bizList: return "biz_list"
        case .operationResult: return "operation_result"
        case .batchInstallResult: return "batch_install_result"
        }
    }
}
