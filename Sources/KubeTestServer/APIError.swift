import KubeClient

/// One invalid field, as a `StatusCause` of a 422 answer.
struct FieldError: Sendable, Hashable {
    enum Reason: String, Sendable {
        case required = "FieldValueRequired"
        case invalid = "FieldValueInvalid"
        case duplicate = "FieldValueDuplicate"
        case forbidden = "FieldValueForbidden"
        case notSupported = "FieldValueNotSupported"
    }

    var field: String
    var reason: Reason
    /// The cause message as the real server writes it (`Required value`, `Invalid value: "x": …`).
    var message: String

    static func required(_ field: String, _ detail: String = "") -> FieldError {
        FieldError(field: field, reason: .required, message: detail.isEmpty ? "Required value" : "Required value: \(detail)")
    }

    static func invalid(_ field: String, _ value: JSONValue, _ detail: String) -> FieldError {
        FieldError(field: field, reason: .invalid, message: "Invalid value: \(goValue(value)): \(detail)")
    }

    static func duplicate(_ field: String, _ value: JSONValue) -> FieldError {
        FieldError(field: field, reason: .duplicate, message: "Duplicate value: \(goValue(value))")
    }

    static func forbidden(_ field: String, _ detail: String) -> FieldError {
        FieldError(field: field, reason: .forbidden, message: "Forbidden: \(detail)")
    }

    /// How Go's `%#v`-ish rendering in `field.Error` shows a value: strings quoted, numbers bare.
    static func goValue(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return goQuote(text)
        case .int(let number): return String(number)
        case .double(let number): return String(number)
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return "null"
        case .object(let members):
            let parts = members.keys.sorted().map { key in "\(goQuote(key)):\(goValue(members[key] ?? .null))" }
            return "map[string]string{\(parts.joined(separator: ", "))}"
        case .array: return value.compactText
        }
    }

    /// A Go `%q` quoted string (close enough: escapes quotes, backslashes and control characters).
    static func goQuote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case "\r": result += "\\r"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// An error answer: the HTTP code and the `Status` body the real API server sends for it.
struct APIError: Error, Sendable {
    var code: Int
    var reason: String
    var message: String
    /// `details`, when the real server sends it (`nil` omits the member).
    var details: JSONValue?

    /// The `Status` document.
    var statusBody: JSONValue {
        var body: JSONValue = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure", "message": .string(message),
            "reason": .string(reason), "code": .int(Int64(code)),
        ]
        if let details { body["details"] = details }
        return body
    }

    static func resourceDetails(_ kind: ResourceKind, name: String) -> JSONValue {
        var details: JSONValue = ["name": .string(name), "kind": .string(kind.plural)]
        if !kind.group.isEmpty { details["group"] = .string(kind.group) }
        return details
    }

    static func notFound(_ kind: ResourceKind, _ name: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "\(kind.qualifiedResource) \(FieldError.goQuote(name)) not found",
            details: resourceDetails(kind, name: name))
    }

    static func alreadyExists(_ kind: ResourceKind, _ name: String) -> APIError {
        APIError(code: 409, reason: "AlreadyExists",
            message: "\(kind.qualifiedResource) \(FieldError.goQuote(name)) already exists",
            details: resourceDetails(kind, name: name))
    }

    /// `Operation cannot be fulfilled on pods "x": <detail>` with details naming the resource.
    static func conflict(_ kind: ResourceKind, _ name: String, _ detail: String) -> APIError {
        APIError(code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on \(kind.qualifiedResource) \(FieldError.goQuote(name)): \(detail)",
            details: resourceDetails(kind, name: name))
    }

    static func staleResourceVersion(_ kind: ResourceKind, _ name: String) -> APIError {
        conflict(kind, name, "the object has been modified; please apply your changes to the latest version and try again")
    }

    /// A delete precondition failure, which the real server reports against the kind (`Pod`), not the resource.
    static func preconditionConflict(_ kind: ResourceKind, _ name: String, _ detail: String) -> APIError {
        var details: JSONValue = ["name": .string(name), "kind": .string(kind.kind)]
        if !kind.group.isEmpty { details["group"] = .string(kind.group) }
        return APIError(code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on \(kind.qualifiedKind) \(FieldError.goQuote(name)): \(detail)",
            details: details)
    }

    static func invalid(_ kind: ResourceKind, _ name: String, _ errors: [FieldError]) -> APIError {
        let rendered = errors.map { "\($0.field): \($0.message)" }
        let summary = rendered.count == 1 ? rendered[0] : "[\(rendered.joined(separator: ", "))]"
        var details: JSONValue = [
            "name": .string(name), "kind": .string(kind.kind),
            "causes": .array(errors.map { ["reason": .string($0.reason.rawValue), "message": .string($0.message), "field": .string($0.field)] }),
        ]
        if !kind.group.isEmpty { details["group"] = .string(kind.group) }
        return APIError(code: 422, reason: "Invalid",
            message: "\(kind.qualifiedKind) \(FieldError.goQuote(name)) is invalid: \(summary)", details: details)
    }

    static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message, details: nil)
    }

    static func expired(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message, details: nil)
    }

    static let unauthorized = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized", details: nil)

    static let pathNotFound = APIError(code: 404, reason: "NotFound",
        message: "the server could not find the requested resource", details: [:])

    static let methodNotAllowed = APIError(code: 405, reason: "MethodNotAllowed",
        message: "the server does not allow this method on the requested resource", details: [:])

    /// A JSON patch that cannot be applied: the real server answers 422 with a generic message.
    static let jsonPatchFailed = APIError(code: 422, reason: "Invalid",
        message: "the server rejected our request due to an error in our request", details: [:])

    static func unsupportedMediaType(_ contentType: String) -> APIError {
        APIError(code: 415, reason: "UnsupportedMediaType",
            message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json",
            details: nil)
    }

    static func internalError(_ detail: String) -> APIError {
        APIError(code: 500, reason: "InternalError", message: "Internal error occurred: \(detail)",
            details: ["causes": [["message": .string(detail)]]])
    }
}
