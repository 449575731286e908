import KubeClient

/// The subset of the real API server's validation the controller can run into, with the same
/// field paths, reasons and message wording (422 `Invalid` answers with `details.causes`).
enum Validation {
    static let subdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let labelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    static let dns1035Message =
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    static let labelValueMessage =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    static let qualifiedNameMessage =
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    static let podUpdateMessage =
        "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
    static func isDNS1123Label(_ text: Substring) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, let last = bytes.last, isLowerAlphanumeric(first), isLowerAlphanumeric(last) else {
            return false
        }
        return bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    static func isDNS1123Subdomain(_ text: String) -> Bool {
        !text.isEmpty && text.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isDNS1123Label)
    }

    static func isDNS1035Label(_ text: String) -> Bool {
        guard let first = text.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
        return isDNS1123Label(Substring(text))
    }

    /// `(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?`
    static func isQualifiedNamePart(_ text: Substring, allowEmpty: Bool) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, let last = bytes.last else { return allowEmpty }
        guard isAlphanumeric(first), isAlphanumeric(last) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    static func subdomainErrors(_ field: String, _ name: String) -> [FieldError] {
        var errors: [FieldError] = []
        if name.utf8.count > 253 { errors.append(.invalid(field, .string(name), "must be no more than 253 characters")) }
        if !isDNS1123Subdomain(name) { errors.append(.invalid(field, .string(name), subdomainMessage)) }
        return errors
    }

    static func labelErrors(_ field: String, _ name: String) -> [FieldError] {
        var errors: [FieldError] = []
        if name.utf8.count > 63 { errors.append(.invalid(field, .string(name), "must be no more than 63 characters")) }
        if !isDNS1123Label(Substring(name)) { errors.append(.invalid(field, .string(name), labelMessage)) }
        return errors
    }

    /// Validation common to every kind: name rules and label syntax.
    static func validateMetadata(_ kind: ResourceKind, _ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let name = object.metadataString("name") ?? ""
        if name.isEmpty {
            errors.append(.required("metadata.name", "name or generateName is required"))
        } else {
            switch kind {
            case .namespaces: errors += labelErrors("metadata.name", name)
            case .services:
                if name.utf8.count > 63 { errors.append(.invalid("metadata.name", .string(name), "must be no more than 63 characters")) }
                if !isDNS1035Label(name) { errors.append(.invalid("metadata.name", .string(name), dns1035Message)) }
            default: errors += subdomainErrors("metadata.name", name)
            }
        }
        if let labels = object["metadata"]?["labels"]?.objectValue {
            for key in labels.keys.sorted() {
                errors += labelKeyErrors(key)
                guard let value = labels[key]?.stringValue else {
                    errors.append(.invalid("metadata.labels", labels[key] ?? .null, "must be a string"))
                    continue
                }
                if value.utf8.count > 63 {
                    errors.append(.invalid("metadata.labels", .string(value), "must be no more than 63 characters"))
                }
                if !isQualifiedNamePart(Substring(value), allowEmpty: true) {
                    errors.append(.invalid("metadata.labels", .string(value), labelValueMessage))
                }
            }
        }
        return errors
    }

    static func labelKeyErrors(_ key: String) -> [FieldError] {
        var errors: [FieldError] = []
        let parts = key.split(separator: "/", omittingEmptySubsequences: false)
        let namePart: Substring
        if parts.count == 2 {
            let prefix = String(parts[0])
            if prefix.isEmpty {
                errors.append(.invalid("metadata.labels", .string(key), "prefix part must be non-empty"))
            } else if !isDNS1123Subdomain(prefix) {
                errors.append(.invalid("metadata.labels", .string(key), "prefix part \(subdomainMessage)"))
            }
            namePart = parts[1]
        } else if parts.count == 1 {
            namePart = parts[0]
        } else {
            return [.invalid("metadata.labels", .string(key),
                "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")]
        }
        if namePart.isEmpty {
            errors.append(.invalid("metadata.labels", .string(key), "name part must be non-empty"))
        } else {
            if namePart.utf8.count > 63 {
                errors.append(.invalid("metadata.labels", .string(key), "name part must be no more than 63 characters"))
            }
            if !isQualifiedNamePart(namePart, allowEmpty: false) {
                errors.append(.invalid("metadata.labels", .string(key), qualifiedNameMessage))
            }
        }
        return errors
    }

    /// Validation of a whole object of `kind` (create and update).
    static func validate(_ kind: ResourceKind, _ object: JSONValue) -> [FieldError] {
        var errors = validateMetadata(kind, object)
        switch kind {
        case .pods:
            errors += validatePodSpec(object["spec"] ?? [:], path: "spec")
        case .deployments, .replicasets:
            errors += validateWorkload(object)
        case .leases:
            if let duration = object["spec"]?["leaseDurationSeconds"]?.intValue, duration <= 0 {
                errors.append(.invalid("spec.leaseDurationSeconds", .int(duration), "must be greater than 0"))
            }
        case .services:
            let type = object["spec"]?["type"]?.stringValue ?? "ClusterIP"
            let clusterIP = object["spec"]?["clusterIP"]?.stringValue ?? ""
            if type != "ExternalName", clusterIP != "None", object["spec"]?["ports"]?.arrayValue?.isEmpty ?? true {
                errors.append(.required("spec.ports"))
            }
        case .events:
            let namespace = object.metadataString("namespace") ?? ""
            if let involved = object["involvedObject"]?["namespace"]?.stringValue, !involved.isEmpty, involved != namespace {
                errors.append(.invalid("involvedObject.namespace", .string(involved), "does not match event.namespace"))
            }
        case .nodes, .namespaces:
            break
        }
        return errors
    }

    static func validatePodSpec(_ spec: JSONValue, path: String) -> [FieldError] {
        var errors: [FieldError] = []
        let containers = spec["containers"]?.arrayValue ?? []
        if containers.isEmpty { errors.append(.required("\(path).containers")) }
        var seen: Set<String> = []
        for (list, elements) in [("initContainers", spec["initContainers"]?.arrayValue ?? []), ("containers", containers)] {
            for (index, container) in elements.enumerated() {
                let field = "\(path).\(list)[\(index)]"
                let name = container["name"]?.stringValue ?? ""
                if name.isEmpty {
                    errors.append(.required("\(field).name"))
                } else {
                    errors += labelErrors("\(field).name", name)
                    if !seen.insert(name).inserted { errors.append(.duplicate("\(field).name", .string(name))) }
                }
                if (container["image"]?.stringValue ?? "").isEmpty { errors.append(.required("\(field).image")) }
            }
        }
        return errors
    }

    static func validateWorkload(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = object["spec"] ?? [:]
        if let replicas = spec["replicas"]?.intValue, replicas < 0 {
            errors.append(.invalid("spec.replicas", .int(replicas), "must be greater than or equal to 0"))
        }
        let selector = spec["selector"]
        let matchLabels = selector?.stringMap("matchLabels") ?? [:]
        let expressions = selector?["matchExpressions"]?.arrayValue ?? []
        if selector == nil || selector?.isNull == true {
            errors.append(.required("spec.selector"))
        } else if matchLabels.isEmpty && expressions.isEmpty {
            errors.append(.invalid("spec.selector", selector ?? .null, "empty selector is invalid for deployment"))
        }
        let templateLabels = spec["template"]?["metadata"]?.stringMap("labels") ?? [:]
        if selector != nil, !matchLabels.isEmpty, !LabelSelector(matching: matchLabels).matches(templateLabels) {
            errors.append(.invalid("spec.template.metadata.labels",
                .object(templateLabels.mapValues { .string($0) }), "`selector` does not match template `labels`"))
        }
        errors += validatePodSpec(spec["template"]?["spec"] ?? [:], path: "spec.template.spec")
        return errors
    }

    /// Extra rules for updates: immutable fields.
    static func validateUpdate(_ kind: ResourceKind, new: JSONValue, old: JSONValue) -> [FieldError] {
        switch kind {
        case .pods:
            guard var newSpec = new["spec"], var oldSpec = old["spec"] else { return [] }
            // Mutable: container images, activeDeadlineSeconds, additions to tolerations.
            for list in ["containers", "initContainers"] {
                let oldContainers = oldSpec[list]?.arrayValue ?? []
                let newContainers = newSpec[list]?.arrayValue ?? []
                if oldContainers.count == newContainers.count {
                    newSpec.editElements(list) { container, index in
                        container["image"] = oldContainers[index]["image"]
                    }
                }
            }
            newSpec["activeDeadlineSeconds"] = oldSpec["activeDeadlineSeconds"]
            let oldTolerations = oldSpec["tolerations"]?.arrayValue ?? []
            let newTolerations = newSpec["tolerations"]?.arrayValue ?? []
            if oldTolerations.allSatisfy({ newTolerations.contains($0) }) {
                newSpec["tolerations"] = oldSpec["tolerations"]
            }
            if let oldGrace = oldSpec["terminationGracePeriodSeconds"]?.intValue, oldGrace < 0,
                newSpec["terminationGracePeriodSeconds"]?.intValue == 1
            {
                oldSpec["terminationGracePeriodSeconds"] = 1
            }
            if newSpec != oldSpec { return [.forbidden("spec", podUpdateMessage)] }
            return []
        case .deployments, .replicasets:
            let oldSelector = old["spec"]?["selector"] ?? .null
            let newSelector = new["spec"]?["selector"] ?? .null
            if oldSelector != newSelector {
                return [.invalid("spec.selector", newSelector, "field is immutable")]
            }
            return []
        default:
            return []
        }
    }
}
