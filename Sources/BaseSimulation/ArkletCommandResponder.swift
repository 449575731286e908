import Arklet
import Hummingbird
import Logging

/// The arklet's HTTP command server, for one ``SimulatedArklet`` (reference §2.2): any
/// `POST /<command>` with a JSON body (at most 1 MiB) is handled by the arklet and answered with
/// HTTP 200 and the arklet envelope (`code`, `data`, `message`, `errorStackTrace`,
/// `baseIdentity`); unknown commands get `CMD_NOT_FOUND`. Other methods get HTTP 500 with a
/// plain-text message, as the arklet's Netty handler does.
struct ArkletCommandResponder: Sendable {
    /// The arklet's request size limit.
    static let maxRequestBytes = 1 << 20

    let arklet: SimulatedArklet
    /// Holds requests while the simulated base does not answer.
    let gate: RequestGate
    /// Commands this arklet does not know (an older arklet): answered with `CMD_NOT_FOUND`.
    let missingCommands: Set<ArkletCommand>
    let logger: Logger

    /// Thrown when the base crashed while handling the request; the server drops the answer.
    struct Crashed: Error {}

    func respond(to request: Request) async throws -> Response {
        guard request.method == .post else {
            return Response(status: .internalServerError, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: "Unsupported HTTP method: \(request.method)")))
        }
        await gate.pass()
        let command = ArkletCommand(rawValue: String(request.uri.path.drop { $0 == "/" }))
        var request = request
        let body = Array(try await request.collectBody(upTo: Self.maxRequestBytes).readableBytesView)
        var logger = logger
        logger[metadataKey: "command"] = "\(command)"
        logger.debug("arklet command received")
        let handled: ArkletResponse<WireJSON>? = missingCommands.contains(command)
            ? ArkletResponse(code: .commandNotFound, message: "command not found: \(command)")
            : await arklet.handle(command, body: body)
        guard var answer = handled else {
            logger.debug("base crashed while handling the command")
            throw Crashed()
        }
        answer.baseIdentity = arklet.configuration.identity.rawValue
        let bytes = try WireCoding.encode(answer)
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
