import Foundation
import Hummingbird
import KubeClient
import Logging

/// Where a request goes: a kind, optionally a namespace, a name and a subresource.
struct ResourcePath: Sendable {
    var kind: ResourceKind
    var namespace: String?
    var name: String?
    var subresource: Subresource
    /// The legacy `/api/v1/watch/...` form.
    var watchPrefix: Bool

    /// Parses `/api/v1/...` and `/apis/<group>/<version>/...` paths; `nil` for anything else.
    init?(path: String) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map {
            String($0).removingPercentEncoding ?? String($0)
        }
        var rest: ArraySlice<String>
        let group: String
        let version: String
        if segments.count >= 2, segments[0] == "api" {
            group = ""
            version = segments[1]
            rest = segments[2...]
        } else if segments.count >= 3, segments[0] == "apis" {
            group = segments[1]
            version = segments[2]
            rest = segments[3...]
        } else {
            return nil
        }
        watchPrefix = false
        if rest.first == "watch" {
            watchPrefix = true
            rest = rest.dropFirst()
        }
        let parts = Array(rest)
        var subresourceName: String?
        if parts.count >= 3, parts[0] == "namespaces",
            let namespacedKind = ResourceKind.lookup(group: group, version: version, plural: parts[2]),
            namespacedKind.isNamespaced
        {
            guard parts.count <= 5 else { return nil }
            kind = namespacedKind
            namespace = parts[1]
            name = parts.count > 3 ? parts[3] : nil
            subresourceName = parts.count > 4 ? parts[4] : nil
        } else if let first = parts.first, let clusterKind = ResourceKind.lookup(group: group, version: version, plural: first) {
            guard parts.count <= 3 else { return nil }
            kind = clusterKind
            namespace = nil
            name = parts.count > 1 ? parts[1] : nil
            subresourceName = parts.count > 2 ? parts[2] : nil
            // Namespaced kinds are only listable (and watchable) across namespaces.
            if kind.isNamespaced, name != nil { return nil }
        } else {
            return nil
        }
        switch subresourceName {
        case nil: subresource = .main
        case "status" where kind.hasStatusSubresource: subresource = .status
        case "scale" where kind.hasScaleSubresource: subresource = .scale
        default: return nil
        }
    }
}

/// The query string as a multi-map (`+` is a space, `%XX` decoded).
struct QueryParameters: Sendable {
    var values: [String: String] = [:]

    init(_ query: String?) {
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(parts[0])
            let value = parts.count > 1 ? Self.decode(parts[1]) : ""
            if values[key] == nil { values[key] = value }
        }
    }

    static func decode(_ text: Substring) -> String {
        let spaced = text.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    subscript(_ key: String) -> String? { values[key] }

    /// Go's `strconv.ParseBool` truth values.
    func flag(_ key: String) -> Bool {
        guard let value = values[key] else { return false }
        return ["1", "t", "T", "true", "TRUE", "True"].contains(value)
    }

    func integer(_ key: String) throws(APIError) -> Int64? {
        guard let text = values[key], !text.isEmpty else { return nil }
        guard let number = Int64(text) else {
            throw APIError.badRequest("invalid value \(FieldError.goQuote(text)) for query parameter \(key)")
        }
        return number
    }
}

/// Serves the Kubernetes REST API over the store: authentication, routing, body decoding,
/// answers and watch streams.
struct APIHandler: Sendable {
    let store: ObjectStore
    /// Bearer tokens that are accepted.
    let tokens: Set<String>
    let bookmarkInterval: Duration?
    let defaultWatchTimeout: Duration
    let accessLog: AccessLog
    let logger: Logger

    static let maxBodySize = 3 * 1024 * 1024

    func respond(to request: Request) async -> Response {
        let authorization = request.headers[.authorization] ?? ""
        guard authorization.hasPrefix("Bearer "), case let token = String(authorization.dropFirst(7)), tokens.contains(token)
        else { return Self.errorResponse(.unauthorized) }
        let path = request.uri.path
        if ["/healthz", "/readyz", "/livez"].contains(path) {
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "ok")))
        }
        if path == "/version" {
            return Self.jsonResponse(200, [
                "major": "1", "minor": "36", "gitVersion": "v1.36.0-kubetestserver", "platform": "linux/amd64",
            ])
        }
        guard let target = ResourcePath(path: path) else { return Self.errorResponse(.pathNotFound) }
        let query = QueryParameters(request.uri.query)
        accessLog.record(target.attributes(method: request.method.rawValue, watch: target.watchPrefix || query.flag("watch")),
                         token: token)
        do {
            return try await route(request, target, query)
        } catch {
            logger.debug("request failed", metadata: ["method": "\(request.method)", "path": "\(path)", "code": "\(error.code)"])
            return Self.errorResponse(error)
        }
    }

    private func route(_ request: Request, _ target: ResourcePath, _ query: QueryParameters) async throws(APIError) -> Response {
        let now = Date()
        let kind = target.kind
        let scope = target.namespace ?? ""
        switch request.method {
        case .get:
            guard let name = target.name else {
                if target.watchPrefix || query.flag("watch") { return try watch(request, target, query) }
                let options = try listOptions(kind, query)
                let result = try store.withState { (state: inout StoreState) throws(APIError) -> ListResult in
                    try state.list(kind, namespace: target.namespace, options: options)
                }
                return Self.bytesResponse(200, result.encoded())
            }
            let object = try store.withState { (state: inout StoreState) throws(APIError) -> JSONValue in
                let object = try state.get(kind, scope, name)
                return target.subresource == .scale ? state.scale(of: object) : object
            }
            return Self.jsonResponse(200, object)
        case .post:
            guard target.name == nil, target.subresource == .main else { throw APIError.methodNotAllowed }
            let body = try await decodeBody(request, kind: kind)
            let created = try store.withState { (state: inout StoreState) throws(APIError) -> JSONValue in
                try state.create(kind, namespace: target.namespace, body: body, now: now)
            }
            return Self.jsonResponse(201, created)
        case .put:
            guard let name = target.name else { throw APIError.methodNotAllowed }
            let body = try await decodeBody(request, kind: kind)
            if target.subresource == .scale {
                let scale = try store.withState { (state: inout StoreState) throws(APIError) -> JSONValue in
                    try state.updateScale(kind, namespace: scope, name: name, patchType: nil, body: body, now: now)
                }
                return Self.jsonResponse(200, scale)
            }
            let (object, created) = try store.withState {
                (state: inout StoreState) throws(APIError) -> (JSONValue, Bool) in
                let result = try state.update(kind, namespace: scope, name: name, subresource: target.subresource,
                    body: body, now: now)
                return (result.0, result.created)
            }
            return Self.jsonResponse(created ? 201 : 200, object)
        case .patch:
            guard let name = target.name else { throw APIError.methodNotAllowed }
            let contentType = request.headers[.contentType] ?? ""
            guard let patchType = PatchType(contentType: contentType) else {
                throw APIError.unsupportedMediaType(contentType)
            }
            let patch = try await readJSON(request)
            let object = try store.withState { (state: inout StoreState) throws(APIError) -> JSONValue in
                if target.subresource == .scale {
                    return try state.updateScale(kind, namespace: scope, name: name, patchType: patchType, body: patch,
                        now: now)
                }
                return try state.patch(kind, namespace: scope, name: name, subresource: target.subresource,
                    type: patchType, patch: patch, now: now)
            }
            return Self.jsonResponse(200, object)
        case .delete:
            guard target.subresource == .main else { throw APIError.methodNotAllowed }
            let options = try await deleteOptions(request, query)
            guard let name = target.name else {
                return try deleteCollection(kind, namespace: target.namespace, query, options, now: now)
            }
            let result = try store.withState { (state: inout StoreState) throws(APIError) -> DeleteResult in
                try state.delete(kind, namespace: scope, name: name, options: options, now: now)
            }
            switch result {
            case .object(let object): return Self.jsonResponse(200, object)
            case .status(let status): return Self.jsonResponse(200, status)
            }
        default:
            throw APIError.methodNotAllowed
        }
    }

    /// DELETE on a collection: deletes every selected object (with the single-object semantics)
    /// and answers the list of what was deleted or marked for deletion.
    private func deleteCollection(_ kind: ResourceKind, namespace: String?, _ query: QueryParameters,
        _ options: DeleteOptions, now: Date) throws(APIError) -> Response
    {
        var listOptions = try listOptions(kind, query)
        listOptions.limit = nil
        listOptions.continueToken = nil
        let result = try store.withState { (state: inout StoreState) throws(APIError) -> ListResult in
            var listed = try state.list(kind, namespace: namespace, options: listOptions)
            var deleted: [JSONValue] = []
            for item in listed.items {
                let name = item.metadataString("name") ?? ""
                let scope = item.metadataString("namespace") ?? ""
                switch try? state.delete(kind, namespace: scope, name: name, options: options, now: now) {
                case .object(let object): deleted.append(object)
                case .status: deleted.append(item)
                case nil: continue
                }
            }
            listed.items = deleted
            listed.resourceVersion = state.resourceVersion
            return listed
        }
        return Self.bytesResponse(200, result.encoded())
    }

    // MARK: Request decoding

    private func readBytes(_ request: Request) async throws(APIError) -> [UInt8] {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: Self.maxBodySize)
        } catch {
            throw APIError(code: 413, reason: "RequestEntityTooLarge",
                message: "Request entity too large: limit is \(Self.maxBodySize)", details: nil)
        }
        return Array(buffer.readableBytesView)
    }

    private func readJSON(_ request: Request) async throws(APIError) -> JSONValue {
        let bytes = try await readBytes(request)
        do {
            return try JSONCodec.parse(bytes)
        } catch {
            throw APIError.badRequest("error decoding patch: \(error)")
        }
    }

    private func decodeBody(_ request: Request, kind: ResourceKind) async throws(APIError) -> JSONValue {
        if let contentType = request.headers[.contentType], !contentType.isEmpty {
            let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            if mediaType != "application/json" && mediaType != "*/*" {
                throw APIError(code: 415, reason: "UnsupportedMediaType",
                    message: "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf, application/cbor",
                    details: nil)
            }
        }
        let bytes = try await readBytes(request)
        let value: JSONValue
        do {
            value = try JSONCodec.parse(bytes)
        } catch {
            throw APIError.badRequest(
                "the object provided is unrecognized (must be of type \(kind.kind)): couldn't get version/kind; json parse error: \(error)")
        }
        guard value.objectValue != nil else {
            throw APIError.badRequest(
                "the object provided is unrecognized (must be of type \(kind.kind)): couldn't get version/kind; json parse error: not an object")
        }
        return value
    }

    private func deleteOptions(_ request: Request, _ query: QueryParameters) async throws(APIError) -> DeleteOptions {
        var options = DeleteOptions()
        let bytes = try await readBytes(request)
        if bytes.contains(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) {
            let body: JSONValue
            do {
                body = try JSONCodec.parse(bytes)
            } catch {
                throw APIError.badRequest("error decoding DeleteOptions: \(error)")
            }
            guard body.objectValue != nil else { throw APIError.badRequest("DeleteOptions must be a JSON object") }
            options.gracePeriodSeconds = body["gracePeriodSeconds"]?.intValue
            options.preconditionUID = body["preconditions"]?["uid"]?.stringValue
            options.preconditionResourceVersion = body["preconditions"]?["resourceVersion"]?.stringValue
            options.propagationPolicy = body["propagationPolicy"]?.stringValue
        } else {
            options.gracePeriodSeconds = try query.integer("gracePeriodSeconds")
            options.propagationPolicy = query["propagationPolicy"]
        }
        if let policy = options.propagationPolicy, !["Orphan", "Background", "Foreground"].contains(policy) {
            throw APIError(code: 422, reason: "Invalid",
                message: "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \(FieldError.goQuote(policy)): supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"",
                details: ["group": "meta.k8s.io", "kind": "DeleteOptions",
                    "causes": [["reason": "FieldValueNotSupported", "field": "propagationPolicy",
                        "message": .string("Unsupported value: \(FieldError.goQuote(policy)): supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"")]]])
        }
        return options
    }

    private func listOptions(_ kind: ResourceKind, _ query: QueryParameters) throws(APIError) -> ListOptions {
        var options = ListOptions()
        if let text = query["labelSelector"], !text.isEmpty {
            do {
                options.labelSelector = try LabelSelector(parsing: text)
            } catch {
                throw APIError.badRequest("unable to parse requirement: \(error)")
            }
        }
        if let text = query["fieldSelector"], !text.isEmpty {
            do {
                options.fieldSelector = try FieldSelector(parsing: text)
            } catch {
                throw APIError.badRequest("\(error)")
            }
            for requirement in options.fieldSelector.requirements where !kind.selectableFields.contains(requirement.field) {
                throw APIError.badRequest("field label not supported: \(requirement.field)")
            }
        }
        if let limit = try query.integer("limit"), limit > 0 { options.limit = Int(limit) }
        if let token = query["continue"], !token.isEmpty {
            if let version = query["resourceVersion"], !version.isEmpty {
                throw APIError.badRequest("specifying resource version is not allowed when using continue")
            }
            options.continueToken = try ContinueToken(decoding: token)
        }
        options.resourceVersion = query["resourceVersion"]
        options.resourceVersionMatch = query["resourceVersionMatch"]
        if let match = options.resourceVersionMatch, !match.isEmpty {
            guard ["Exact", "NotOlderThan"].contains(match) else {
                throw APIError.badRequest("resourceVersionMatch: Unsupported value: \(FieldError.goQuote(match))")
            }
            // A watch with sendInitialEvents may leave resourceVersion empty (a consistent start).
            guard query.flag("sendInitialEvents") || !(options.resourceVersion ?? "").isEmpty else {
                throw APIError.badRequest("resourceVersionMatch is forbidden unless resourceVersion is provided")
            }
        }
        return options
    }

    // MARK: Watch

    private func watch(_ request: Request, _ target: ResourcePath, _ query: QueryParameters) throws(APIError) -> Response {
        let options = try listOptions(target.kind, query)
        let filter = WatchFilter(resource: target.kind, namespace: target.namespace, labelSelector: options.labelSelector,
            fieldSelector: options.fieldSelector)
        let sendInitialEvents = query.flag("sendInitialEvents")
        var start: UInt64?
        if !sendInitialEvents, let text = options.resourceVersion, !text.isEmpty, text != "0" {
            guard let version = UInt64(text) else {
                throw APIError.badRequest("invalid resource version \(FieldError.goQuote(text))")
            }
            start = version
        }
        let timeout = try query.integer("timeoutSeconds").map { Duration.seconds($0) } ?? defaultWatchTimeout
        let stream = WatchStream(store: store, filter: filter, allowBookmarks: query.flag("allowWatchBookmarks"),
            sendInitialEvents: sendInitialEvents, bookmarkInterval: bookmarkInterval, timeout: timeout, logger: logger)
        let registration = store.registerWatcher(filter, from: start)
        return Response(status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody { writer in
                try await stream.run(registration, request: request, writer: &writer)
            })
    }

    // MARK: Answers

    static func jsonResponse(_ code: Int, _ value: JSONValue) -> Response {
        bytesResponse(code, JSONCodec.serialize(value))
    }

    static func bytesResponse(_ code: Int, _ bytes: [UInt8]) -> Response {
        var out = bytes
        out.append(UInt8(ascii: "\n"))
        return Response(status: HTTPResponse.Status(code: code), headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: out)))
    }

    static func errorResponse(_ error: APIError) -> Response {
        jsonResponse(error.code, error.statusBody)
    }
}
