import Hummingbird

/// The HTTP tunnel listener's answers, byte for byte those of the upstream Go listener
/// (`net/http`): plain-text errors end with a newline and carry `text/plain; charset=utf-8`.
enum ListenerAnswer {
    /// `200`, body `SUCCESS` (heartbeat accepted).
    static var success: Response { text(.ok, "SUCCESS", newline: false) }

    /// `405` with an empty body (any method but `POST`).
    static var methodNotAllowed: Response { Response(status: .methodNotAllowed) }

    /// `404` as `net/http`'s mux answers an unknown path.
    static var notFound: Response { text(.notFound, "404 page not found") }

    /// A plain-text answer; `newline` follows `http.Error`, which appends one.
    static func text(_ status: HTTPResponse.Status, _ message: String, newline: Bool = true) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: newline ? message + "\n" : message)))
    }

    /// `200` with a JSON body and `Content-Type: application/json`.
    static func json(_ bytes: [UInt8]) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
