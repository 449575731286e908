import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle

/// What the readiness probe asks: is the controller ready to serve (caches synced, tunnels
/// connected)? Returns the reasons it is not, empty when ready.
public typealias ReadinessCheck = @Sendable () -> [String]

/// The probe and metrics listeners: `/healthz` and `/readyz` on the health port, Prometheus
/// `/metrics` on the metrics port.
public enum ObservabilityServer {
    /// The health server: `/healthz` answers 200 while the process runs; `/readyz` answers 200
    /// when `readiness` reports nothing, else 503 with the reasons.
    public static func health(host: String = "0.0.0.0", port: Int, readiness: @escaping ReadinessCheck, logger: Logger)
        -> some Service
    {
        let router = Router()
        router.get("healthz") { _, _ in "ok" }
        router.get("readyz") { _, _ -> Response in
            let reasons = readiness()
            if reasons.isEmpty {
                return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ok")))
            }
            return Response(
                status: .serviceUnavailable,
                body: ResponseBody(byteBuffer: ByteBuffer(string: "not ready: " + reasons.joined(separator: "; "))))
        }
        return Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "health"),
            logger: logger)
    }

    /// The metrics server: `/metrics` in the Prometheus text format.
    public static func metrics(host: String = "0.0.0.0", port: Int, registry: PrometheusCollectorRegistry, logger: Logger)
        -> some Service
    {
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        return Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "metrics"),
            logger: logger)
    }
}
