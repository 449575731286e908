import Benchmark
import ScaleScenario

/// The scale scenario as benchmarks (docs/scale.md): one iteration each, since one iteration is a
/// whole run (bases online, pods created and Ready, steady state, deletions). Latencies are
/// reported as custom metrics in microseconds; wall clock and CPU cover the whole run.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .peakMemoryResident] + ScaleMetrics.all,
        timeUnits: .milliseconds, warmupIterations: 0, scalingFactor: .one, maxDuration: .seconds(3_600), maxIterations: 1)

    Benchmark("Scale 100 bases x 10 pods") { benchmark in
        try await ScaleMetrics.run(.small, into: benchmark)
    }

    Benchmark("Scale 1000 bases x 10 pods",
              configuration: .init(tags: ["size": "target"])) { benchmark in
        try await ScaleMetrics.run(.target, into: benchmark)
    }
}

/// The figures of a ``ScaleReport`` as custom metrics.
enum ScaleMetrics {
    static let vnodesReadyP99 = BenchmarkMetric.custom("vnodes Ready p99 (us)")
    static let podToBaseP50 = BenchmarkMetric.custom("pod -> base p50 (us)")
    static let podToBaseP99 = BenchmarkMetric.custom("pod -> base p99 (us)")
    static let answerToReadyP50 = BenchmarkMetric.custom("answer -> Ready p50 (us)")
    static let answerToReadyP99 = BenchmarkMetric.custom("answer -> Ready p99 (us)")
    static let deletionP99 = BenchmarkMetric.custom("delete -> gone p99 (us)")
    static let steadyStateNonLeaseWrites = BenchmarkMetric.custom("steady-state non-lease writes")

    static let all = [vnodesReadyP99, podToBaseP50, podToBaseP99, answerToReadyP50, answerToReadyP99, deletionP99,
                      steadyStateNonLeaseWrites]

    static func run(_ configuration: ScaleScenarioConfiguration, into benchmark: Benchmark) async throws {
        benchmark.startMeasurement()
        let report = try await ScaleScenario.run(configuration)
        benchmark.stopMeasurement()
        func micro(_ duration: Duration) -> Int {
            Int(duration.components.seconds) * 1_000_000 + Int(duration.components.attoseconds / 1_000_000_000_000)
        }
        benchmark.measurement(vnodesReadyP99, micro(report.vnodesReady.p99))
        benchmark.measurement(podToBaseP50, micro(report.podToBase.p50))
        benchmark.measurement(podToBaseP99, micro(report.podToBase.p99))
        benchmark.measurement(answerToReadyP50, micro(report.answerToReady.p50))
        benchmark.measurement(answerToReadyP99, micro(report.answerToReady.p99))
        benchmark.measurement(deletionP99, micro(report.deletion.p99))
        let nonLease = report.steadyStateWrites.filter { !$0.key.hasPrefix("patch coordination.k8s.io/leases") }
        benchmark.measurement(steadyStateNonLeaseWrites, nonLease.values.reduce(0, +))
    }
}
