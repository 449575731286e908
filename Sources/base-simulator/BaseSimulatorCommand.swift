import ArgumentParser
import Arklet
import Logging

/// `base-simulator`: simulated Koupleless bases speaking arklet over MQTT or HTTP.
@main
struct BaseSimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "base-simulator",
        abstract: "Simulated Koupleless bases that speak the arklet protocol over MQTT or HTTP."
    )

    func run() async throws {
        let logger = Logger(label: "base-simulator")
        logger.info("base-simulator starting")
    }
}
