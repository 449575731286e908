/// An error answer of the API server: the HTTP status and the `Status` body it sent.
public struct KubeAPIError: Error, Sendable, CustomStringConvertible {
    public var statusCode: Int
    public var status: Status
    /// `GET /api/v1/...` — what was asked, for messages.
    public var request: String

    public init(statusCode: Int, status: Status, request: String) {
        self.statusCode = statusCode
        self.status = status
        self.request = request
    }

    /// The `Status.reason` (`NotFound`, `Conflict`, `AlreadyExists`, `Expired`, `Gone`, `Invalid`, …).
    public var reason: String { status.reason ?? "" }

    public var isNotFound: Bool { statusCode == 404 }
    public var isAlreadyExists: Bool { statusCode == 409 && reason == "AlreadyExists" }
    /// A write refused because the object changed (stale `resourceVersion`, failed precondition).
    public var isConflict: Bool { statusCode == 409 && reason != "AlreadyExists" }
    /// The resourceVersion asked for is no longer available (410): relist.
    public var isGone: Bool { statusCode == 410 || reason == "Expired" || reason == "Gone" }
    public var isInvalid: Bool { statusCode == 422 }
    public var isTooManyRequests: Bool { statusCode == 429 }
    public var isUnauthorized: Bool { statusCode == 401 }
    public var isForbidden: Bool { statusCode == 403 }
    public var isServerError: Bool { statusCode >= 500 }

    public var description: String {
        "\(request): \(statusCode) \(reason.isEmpty ? "error" : reason): \(status.message ?? "(no message)")"
    }
}

/// A failure of the client itself rather than an error answer: transport, decoding, bad input.
public enum KubeClientError: Error, Sendable, CustomStringConvertible {
    case transport(request: String, underlying: String)
    case decoding(request: String, underlying: String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .transport(let request, let underlying): return "\(request): \(underlying)"
        case .decoding(let request, let underlying): return "\(request): cannot decode the answer: \(underlying)"
        case .invalidArgument(let message): return message
        }
    }
}
