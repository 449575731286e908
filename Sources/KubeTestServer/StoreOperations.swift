import Foundation
import KubeClient

/// The API verbs, implemented with the real API server's registry semantics. All run under the
/// store lock; errors are the `Status` answers the real server gives.
extension StoreState {
    static func timestamp(_ date: Date) -> String { RFC3339.format(date, fractionalDigits: 0) }

    static let generatedNameAlphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    /// Checks `kind`/`apiVersion` of a request body and fills them in when missing.
    static func checkTypeMeta(_ kind: ResourceKind, _ object: inout JSONValue) throws(APIError) {
        guard object.objectValue != nil else {
            throw APIError.badRequest("the object provided is not a JSON object")
        }
        if let apiVersion = object["apiVersion"]?.stringValue, !apiVersion.isEmpty, apiVersion != kind.apiVersion {
            throw APIError.badRequest(
                "the API version in the data (\(apiVersion)) does not match the expected API version (\(kind.apiVersion))")
        }
        if let bodyKind = object["kind"]?.stringValue, !bodyKind.isEmpty, bodyKind != kind.kind {
            throw APIError.badRequest(
                "\(bodyKind) in version \"\(kind.descriptor.version)\" cannot be handled as a \(kind.kind): the kind in the data does not match the expected kind")
        }
        object["apiVersion"] = .string(kind.apiVersion)
        object["kind"] = .string(kind.kind)
        if object["metadata"]?.objectValue == nil { object["metadata"] = [:] }
    }

    func namespaceExists(_ name: String) -> Bool { tables[.namespaces]?.get("", name) != nil }

    // MARK: Create

    mutating func create(_ kind: ResourceKind, namespace: String?, body: JSONValue, now: Date) throws(APIError) -> JSONValue {
        var object = body
        try Self.checkTypeMeta(kind, &object)
        let scope: String
        if kind.isNamespaced {
            guard let namespace else { throw APIError.methodNotAllowed }
            let bodyNamespace = object.metadataString("namespace") ?? ""
            if !bodyNamespace.isEmpty, bodyNamespace != namespace {
                throw APIError.badRequest(
                    "the namespace of the provided object does not match the namespace sent on the request")
            }
            object.edit("metadata") { $0?["namespace"] = .string(namespace) }
            scope = namespace
        } else {
            object.edit("metadata") { $0?["namespace"] = nil }
            scope = ""
        }
        if let version = object.metadataString("resourceVersion"), !version.isEmpty {
            throw APIError.internalError("resourceVersion should not be set on objects to be created")
        }
        if (object.metadataString("name") ?? "").isEmpty, let prefix = object.metadataString("generateName"),
            !prefix.isEmpty
        {
            var generated: String
            repeat {
                generated = prefix + String((0..<5).map { _ in Self.generatedNameAlphabet.randomElement() ?? "x" })
            } while tables[kind]?.get(scope, generated) != nil
            object.edit("metadata") { $0?["name"] = .string(generated) }
        }
        Defaulting.applyDefaults(kind, to: &object)
        Defaulting.prepareForCreate(kind, &object)
        Defaulting.applyDefaults(kind, to: &object)
        let resourceVersionForGeneration = kind.tracksGeneration
        object.edit("metadata") { metadata in
            metadata?["uid"] = .string(UUID().uuidString.lowercased())
            metadata?["creationTimestamp"] = .string(Self.timestamp(now))
            metadata?["deletionTimestamp"] = nil
            metadata?["deletionGracePeriodSeconds"] = nil
            metadata?["managedFields"] = nil
            metadata?["selfLink"] = nil
            metadata?["generation"] = resourceVersionForGeneration ? 1 : nil
        }
        if kind == .services { allocateClusterIP(&object, previous: nil) }
        let name = object.metadataString("name") ?? ""
        let errors = Validation.validate(kind, object)
        if !errors.isEmpty { throw APIError.invalid(kind, name, errors) }
        if kind.isNamespaced, !namespaceExists(scope) { throw APIError.notFound(.namespaces, scope) }
        if tables[kind]?.get(scope, name) != nil { throw APIError.alreadyExists(kind, name) }
        return commit(.added, kind, object, previous: nil)
    }

    mutating func allocateClusterIP(_ service: inout JSONValue, previous: JSONValue?) {
        service.edit("spec") { spec in
            guard var value = spec else { return }
            spec = nil
            defer { spec = value }
            if value["type"]?.stringValue == "ExternalName" { return }
            if let old = previous?["spec"]?["clusterIP"], (value["clusterIP"]?.stringValue ?? "").isEmpty {
                value["clusterIP"] = old
                value["clusterIPs"] = previous?["spec"]?["clusterIPs"]
            }
            if (value["clusterIP"]?.stringValue ?? "").isEmpty {
                let index = nextServiceIP
                nextServiceIP += 1
                value["clusterIP"] = .string("10.96.\(index / 254 % 256).\(index % 254 + 1)")
            }
            value.setDefault("clusterIPs", [value["clusterIP"] ?? .null])
            value.setDefault("ipFamilies", ["IPv4"])
            value.setDefault("ipFamilyPolicy", "SingleStack")
        }
    }

    // MARK: Update and patch

    /// PUT of an object or its status; returns the stored object and whether it was created.
    mutating func update(_ kind: ResourceKind, namespace: String, name: String, subresource: Subresource,
        body: JSONValue, now: Date) throws(APIError) -> (JSONValue, created: Bool)
    {
        var object = body
        try Self.checkTypeMeta(kind, &object)
        try Self.checkName(kind, object, name: name, namespace: namespace)
        guard let existing = tables[kind]?.get(namespace, name) else {
            if kind.allowsCreateOnUpdate, subresource == .main {
                object.edit("metadata") { $0?["resourceVersion"] = nil }
                return (try create(kind, namespace: kind.isNamespaced ? namespace : nil, body: object, now: now), true)
            }
            throw APIError.notFound(kind, name)
        }
        return (try applyUpdate(kind, existing: existing, candidate: object, subresource: subresource, now: now), false)
    }

    /// PATCH of an object or its status.
    mutating func patch(_ kind: ResourceKind, namespace: String, name: String, subresource: Subresource,
        type: PatchType, patch: JSONValue, now: Date) throws(APIError) -> JSONValue
    {
        guard let existing = tables[kind]?.get(namespace, name) else { throw APIError.notFound(kind, name) }
        var patched = try type.apply(patch, to: existing, kind: kind)
        guard patched.objectValue != nil else { throw APIError.badRequest("the patched object is not a JSON object") }
        try Self.checkTypeMeta(kind, &patched)
        try Self.checkName(kind, patched, name: name, namespace: namespace)
        return try applyUpdate(kind, existing: existing, candidate: patched, subresource: subresource, now: now)
    }

    /// The name and namespace checks of the update and patch handlers (400 on mismatch).
    static func checkName(_ kind: ResourceKind, _ object: JSONValue, name: String, namespace: String) throws(APIError) {
        let objectName = object.metadataString("name") ?? ""
        if objectName != name {
            throw APIError.badRequest("the name of the object (\(objectName)) does not match the name on the URL (\(name))")
        }
        if kind.isNamespaced, let objectNamespace = object.metadataString("namespace"), !objectNamespace.isEmpty,
            objectNamespace != namespace
        {
            throw APIError.badRequest(
                "the namespace of the object (\(objectNamespace)) does not match the namespace on the request (\(namespace))")
        }
    }

    /// The common update path (`GuaranteedUpdate` + `BeforeUpdate` + the kind's update strategy).
    mutating func applyUpdate(_ kind: ResourceKind, existing: JSONValue, candidate: JSONValue, subresource: Subresource,
        now: Date) throws(APIError) -> JSONValue
    {
        let name = existing.metadataString("name") ?? ""
        let existingVersion = existing.metadataString("resourceVersion") ?? ""
        if let version = candidate.metadataString("resourceVersion"), !version.isEmpty, version != existingVersion {
            throw APIError.staleResourceVersion(kind, name)
        }
        let existingUID = existing.metadataString("uid") ?? ""
        if let uid = candidate.metadataString("uid"), !uid.isEmpty, uid != existingUID {
            throw APIError.conflict(kind, name, "Precondition failed: UID in precondition: \(uid), UID in object meta: \(existingUID)")
        }
        var object = candidate
        object.edit("metadata") { metadata in
            if kind.isNamespaced {
                metadata?["namespace"] = existing["metadata"]?["namespace"]
            } else {
                metadata?["namespace"] = nil
            }
        }
        Defaulting.applyDefaults(kind, to: &object)

        // The update strategies' PrepareForUpdate.
        switch subresource {
        case .main, .scale:
            if kind.hasStatusSubresource { object["status"] = existing["status"] }
            if kind == .namespaces {
                object.edit("spec") { $0?["finalizers"] = existing["spec"]?["finalizers"] }
            }
            if kind == .services { allocateClusterIP(&object, previous: existing) }
        case .status:
            object["spec"] = existing["spec"]
            switch kind {
            case .pods:
                object.edit("metadata") { $0?["ownerReferences"] = existing["metadata"]?["ownerReferences"] }
                if (object["status"]?["qosClass"]?.stringValue ?? "").isEmpty, let qos = existing["status"]?["qosClass"] {
                    object.edit("status") { $0?["qosClass"] = qos }
                }
            case .deployments, .replicasets:
                object.edit("metadata") { $0?["labels"] = existing["metadata"]?["labels"] }
            default:
                break
            }
        }

        // BeforeUpdate: system fields cannot be changed by writes.
        let bumpGeneration = kind.tracksGeneration && subresource != .status && object["spec"] != existing["spec"]
        object.edit("metadata") { metadata in
            let old = existing["metadata"] ?? [:]
            for field in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"] {
                metadata?[field] = old[field]
            }
            metadata?["managedFields"] = nil
            metadata?["resourceVersion"] = .string(existingVersion)
            if bumpGeneration { metadata?["generation"] = .int((old["generation"]?.intValue ?? 0) + 1) }
        }

        var errors: [FieldError]
        if subresource == .status {
            errors = Validation.validateMetadata(kind, object)
        } else {
            errors = Validation.validate(kind, object)
            errors += Validation.validateUpdate(kind, new: object, old: existing)
        }
        if !errors.isEmpty { throw APIError.invalid(kind, name, errors) }

        if object == existing { return existing }
        if shouldDeleteDuringUpdate(object) {
            // The update that empties the finalizers of an object marked for deletion is not
            // written: the object (as stored) is deleted instead, like `errEmptiedFinalizers`.
            return commit(.deleted, kind, existing, previous: existing)
        }
        return commit(.modified, kind, object, previous: existing)
    }

    /// An object marked for deletion whose finalizers are all gone (and grace period over) is removed.
    func shouldDeleteDuringUpdate(_ object: JSONValue) -> Bool {
        let metadata = object["metadata"] ?? [:]
        guard let deletion = metadata["deletionTimestamp"], !deletion.isNull else { return false }
        let finalizers = metadata["finalizers"]?.arrayValue ?? []
        return finalizers.isEmpty && (metadata["deletionGracePeriodSeconds"]?.intValue ?? 0) == 0
    }

    // MARK: Scale

    func scale(of object: JSONValue) -> JSONValue {
        let metadata = object["metadata"] ?? [:]
        var scaleMetadata: JSONValue = [:]
        for field in ["name", "namespace", "uid", "resourceVersion", "creationTimestamp"] {
            if let value = metadata[field] { scaleMetadata[field] = value }
        }
        var status: JSONValue = ["replicas": .int(object["status"]?["replicas"]?.intValue ?? 0)]
        if let selector = object["spec"]?["selector"] { status["selector"] = .string(Self.selectorString(selector)) }
        return [
            "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": scaleMetadata,
            "spec": ["replicas": .int(object["spec"]?["replicas"]?.intValue ?? 0)], "status": status,
        ]
    }

    /// `metav1.LabelSelectorAsSelector(...).String()`.
    static func selectorString(_ selector: JSONValue) -> String {
        var parts: [(String, String)] = []
        for (key, value) in selector.stringMap("matchLabels") ?? [:] { parts.append((key, "\(key)=\(value)")) }
        for expression in selector["matchExpressions"]?.arrayValue ?? [] {
            let key = expression["key"]?.stringValue ?? ""
            let values = (expression["values"]?.arrayValue ?? []).compactMap(\.stringValue).sorted()
            switch expression["operator"]?.stringValue ?? "" {
            case "In": parts.append((key, "\(key) in (\(values.joined(separator: ",")))"))
            case "NotIn": parts.append((key, "\(key) notin (\(values.joined(separator: ",")))"))
            case "Exists": parts.append((key, key))
            case "DoesNotExist": parts.append((key, "!\(key)"))
            default: break
            }
        }
        return parts.sorted { $0.0 < $1.0 }.map(\.1).joined(separator: ",")
    }

    /// PUT or PATCH of `/scale`: only `spec.replicas` is taken over.
    mutating func updateScale(_ kind: ResourceKind, namespace: String, name: String, patchType: PatchType?,
        body: JSONValue, now: Date) throws(APIError) -> JSONValue
    {
        guard let existing = tables[kind]?.get(namespace, name) else { throw APIError.notFound(kind, name) }
        let current = scale(of: existing)
        let requested = try patchType.map { type throws(APIError) in try type.apply(body, to: current, kind: kind) } ?? body
        guard requested.objectValue != nil else { throw APIError.badRequest("the object provided is not a JSON object") }
        if let version = requested.metadataString("resourceVersion"), !version.isEmpty,
            version != existing.metadataString("resourceVersion")
        {
            throw APIError.staleResourceVersion(kind, name)
        }
        guard let replicas = requested["spec"]?["replicas"]?.intValue, replicas >= 0 else {
            let value = requested["spec"]?["replicas"] ?? .null
            throw APIError(code: 422, reason: "Invalid",
                message: "Scale.autoscaling \(FieldError.goQuote(name)) is invalid: spec.replicas: Invalid value: \(FieldError.goValue(value)): must be greater than or equal to 0",
                details: [
                    "name": .string(name), "group": "autoscaling", "kind": "Scale",
                    "causes": [["reason": "FieldValueInvalid", "field": "spec.replicas",
                        "message": .string("Invalid value: \(FieldError.goValue(value)): must be greater than or equal to 0")]],
                ])
        }
        var candidate = existing
        candidate.edit("spec") { $0?["replicas"] = .int(replicas) }
        let stored = try applyUpdate(kind, existing: existing, candidate: candidate, subresource: .scale, now: now)
        return scale(of: stored)
    }

    // MARK: Delete

    mutating func delete(_ kind: ResourceKind, namespace: String, name: String, options: DeleteOptions, now: Date)
        throws(APIError) -> DeleteResult
    {
        guard var object = tables[kind]?.get(namespace, name) else { throw APIError.notFound(kind, name) }
        let existing = object
        let uid = object.metadataString("uid") ?? ""
        if let wanted = options.preconditionUID, wanted != uid {
            throw APIError.preconditionConflict(kind, name,
                "the UID in the precondition (\(wanted)) does not match the UID in record (\(uid)). The object might have been deleted and then recreated")
        }
        let version = object.metadataString("resourceVersion") ?? ""
        if let wanted = options.preconditionResourceVersion, wanted != version {
            throw APIError.preconditionConflict(kind, name,
                "the ResourceVersion in the precondition (\(wanted)) does not match the ResourceVersion in record (\(version)). The object might have been modified")
        }
        if kind == .namespaces { return try deleteNamespace(name, object, now: now) }

        let metadata = object["metadata"] ?? [:]
        let hasFinalizers = !(metadata["finalizers"]?.arrayValue ?? []).isEmpty
        let deletionTimestamp = metadata["deletionTimestamp"]?.stringValue.flatMap(RFC3339.parse)
        var graceful = false
        var gracePeriod: Int64 = 0

        // rest.BeforeDelete
        if let deletionTimestamp {
            let existingGrace = metadata["deletionGracePeriodSeconds"]?.intValue ?? 0
            if existingGrace > 0 {
                guard kind == .pods, let requested = options.gracePeriodSeconds, requested < existingGrace else {
                    // Graceful deletion already pending: nothing changes.
                    return deleteAnswer(kind, object)
                }
                let shortened = deletionTimestamp.addingTimeInterval(Double(requested - existingGrace))
                object.edit("metadata") { metadata in
                    metadata?["deletionTimestamp"] = .string(Self.timestamp(shortened))
                    metadata?["deletionGracePeriodSeconds"] = .int(requested)
                }
                graceful = true
                gracePeriod = requested
            }
        } else if kind == .pods {
            // podStrategy.CheckGracefulDelete
            var period = options.gracePeriodSeconds ?? object["spec"]?["terminationGracePeriodSeconds"]?.intValue ?? 0
            if ObjectTable.nodeName(object).isEmpty { period = 0 }
            let phase = object["status"]?["phase"]?.stringValue
            if phase == "Failed" || phase == "Succeeded" { period = 0 }
            if period < 0 { period = 1 }
            object.edit("metadata") { metadata in
                metadata?["deletionTimestamp"] = .string(Self.timestamp(now.addingTimeInterval(Double(period))))
                metadata?["deletionGracePeriodSeconds"] = .int(period)
                if let generation = metadata?["generation"]?.intValue, generation > 0 {
                    metadata?["generation"] = .int(generation + 1)
                }
            }
            graceful = true
            gracePeriod = period
        }

        // updateForGracefulDeletionAndFinalizers
        if graceful {
            object = commit(.modified, kind, object, previous: existing)
            if hasFinalizers || gracePeriod > 0 { return .object(object) }
        } else if hasFinalizers {
            // markAsDeleting
            object.edit("metadata") { metadata in
                if metadata?["deletionTimestamp"] == nil || metadata?["deletionTimestamp"]?.isNull == true {
                    if let generation = metadata?["generation"]?.intValue, generation > 0 {
                        metadata?["generation"] = .int(generation + 1)
                    }
                    metadata?["deletionTimestamp"] = .string(Self.timestamp(now))
                }
                metadata?["deletionGracePeriodSeconds"] = 0
            }
            if object != existing { object = commit(.modified, kind, object, previous: existing) }
            return .object(object)
        }
        let final = commit(.deleted, kind, object, previous: object)
        return deleteAnswer(kind, final)
    }

    /// `finalizeDelete`: the object for kinds that return it, otherwise a Success `Status`.
    func deleteAnswer(_ kind: ResourceKind, _ object: JSONValue) -> DeleteResult {
        if kind.returnsDeletedObject { return .object(object) }
        var details: JSONValue = [
            "name": .string(object.metadataString("name") ?? ""), "kind": .string(kind.plural),
            "uid": .string(object.metadataString("uid") ?? ""),
        ]
        if !kind.group.isEmpty { details["group"] = .string(kind.group) }
        return .status(["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "details": details])
    }

    /// Namespace deletion. The real server marks the namespace Terminating and its controller
    /// deletes the content later; here the content is deleted at once (each object gets a DELETED
    /// event), then the namespace itself. Answers the Terminating namespace, as the real server does.
    mutating func deleteNamespace(_ name: String, _ namespace: JSONValue, now: Date) throws(APIError) -> DeleteResult {
        if ["default", "kube-system", "kube-public"].contains(name) {
            throw APIError(code: 403, reason: "Forbidden",
                message: "namespaces \(FieldError.goQuote(name)) is forbidden: this namespace may not be deleted",
                details: ["name": .string(name), "kind": "namespaces"])
        }
        var terminating = namespace
        if terminating["metadata"]?["deletionTimestamp"] == nil {
            terminating.edit("metadata") { $0?["deletionTimestamp"] = .string(Self.timestamp(now)) }
            terminating.edit("metadata") { $0?["deletionGracePeriodSeconds"] = 0 }
            terminating.edit("status") { $0?["phase"] = "Terminating" }
            terminating = commit(.modified, .namespaces, terminating, previous: namespace)
        }
        for kind in ResourceKind.allCases where kind.isNamespaced {
            let objects = tables[kind]?.byNamespace[name] ?? [:]
            for key in objects.keys.sorted() {
                if let object = objects[key] { commit(.deleted, kind, object, previous: object) }
            }
        }
        commit(.deleted, .namespaces, terminating, previous: terminating)
        return .object(terminating)
    }
}
