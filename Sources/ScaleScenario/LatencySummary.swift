/// Percentiles of a set of latencies (nearest rank).
public struct LatencySummary: Sendable, Hashable, CustomStringConvertible {
    public var count: Int
    public var p50: Duration
    public var p90: Duration
    public var p99: Duration
    public var max: Duration

    public init(_ samples: [Duration]) {
        let sorted = samples.sorted()
        count = sorted.count
        func rank(_ fraction: Double) -> Duration {
            guard !sorted.isEmpty else { return .zero }
            let index = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
            return sorted[Swift.max(0, Swift.min(sorted.count - 1, index))]
        }
        p50 = rank(0.5)
        p90 = rank(0.9)
        p99 = rank(0.99)
        max = sorted.last ?? .zero
    }

    public var description: String {
        "n=\(count) p50=\(p50.milliseconds) p90=\(p90.milliseconds) p99=\(p99.milliseconds) max=\(max.milliseconds)"
    }
}

extension Duration {
    /// `12.3 ms` / `4.56 s`.
    var milliseconds: String {
        let ms = Double(components.seconds) * 1_000 + Double(components.attoseconds) / 1e15
        if ms >= 10_000 { return "\((ms / 100).rounded() / 10) s" }
        return "\((ms * 10).rounded() / 10) ms"
    }

    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
