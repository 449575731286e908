import ArgumentParser
import Foundation
import Logging
import ScaleScenario

/// `scale-scenario`: runs the scale scenario of the developers' guide in this process and prints
/// its report (see docs/scale.md).
@main
struct ScaleScenarioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale-scenario",
        abstract: "Runs one controller against many simulated bases and module pods on loopback and reports the latencies.",
        discussion: """
            In one process: the in-repo API server, a mosquitto broker (a child process on a free \
            loopback port), one simulated fleet answering for every base over one MQTT connection, \
            and a controller with its production defaults. Build with -c release for figures.
            """)

    @Option(help: "Simulated bases.")
    var bases = 1_000

    @Option(help: "Module pods per base.")
    var podsPerBase = 10

    @Option(help: "Pods created per second (default: as fast as --concurrency requests go).")
    var rate: Double?

    @Option(help: "Create/delete requests in flight at once.")
    var concurrency = 32

    @Option(help: "Seconds of steady state watched for API writes.")
    var steadySeconds = 60

    @Option(help: "Pods deleted at the end (default: one per base).")
    var deletions: Int?

    @Option(help: "Seconds over which the bases' first heartbeats are spread (0: all at once).")
    var startupSpread: Double = 0

    @Option(help: "Milliseconds a simulated install takes.")
    var installMilliseconds = 200

    @Option(help: "Seconds each phase may take.")
    var phaseTimeout = 900

    @Option(help: "Log level of the controller and the fleet (stderr).")
    var logLevel = "error"

    func validate() throws {
        guard bases >= 1, podsPerBase >= 1, concurrency >= 1 else {
            throw ValidationError("--bases, --pods-per-base and --concurrency must be at least 1")
        }
        if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
        guard steadySeconds >= 0, (deletions ?? 0) >= 0, startupSpread >= 0, installMilliseconds >= 0, phaseTimeout > 0 else {
            throw ValidationError("durations and counts must not be negative")
        }
    }

    func run() async throws {
        var configuration = ScaleScenarioConfiguration(
            bases: bases, podsPerBase: podsPerBase, podCreationRate: rate, creationConcurrency: concurrency,
            steadyStateDuration: .seconds(steadySeconds), deletions: deletions,
            startupSpread: .milliseconds(Int64(startupSpread * 1000)), installDuration: .milliseconds(installMilliseconds),
            phaseTimeout: .seconds(phaseTimeout))
        configuration.logLevel = Logger.Level(rawValue: logLevel) ?? .error
        let started = Date()
        let report = try await ScaleScenario.run(configuration) { line in
            // Unbuffered, so that progress shows as it comes also when the output goes to a file.
            FileHandle.standardOutput.write(Data("[\(String(format: "%7.1f", Date().timeIntervalSince(started))) s] \(line)\n".utf8))
        }
        print(report.text)
    }
}
