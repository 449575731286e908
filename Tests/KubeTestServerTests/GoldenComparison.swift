import Foundation
import KubeClient

@testable import KubeTestServer

/// Compares an answer of the test server with a recorded answer of the real API server by shape:
/// every member present on one side must be present on the other with the same value, except
///  - values that differ run to run, which must only have the same format: `metadata.uid` (UUID),
///    `metadata.resourceVersion` (decimal), `creationTimestamp` / `deletionTimestamp` (RFC 3339, whole seconds);
///  - members the real server gets from parts we do not reproduce, which are removed from both sides:
///    `metadata.managedFields` (server-side apply bookkeeping), `spec.volumes` and
///    `spec.containers[*].volumeMounts` (the ServiceAccount admission plugin's token volume),
///    the node annotation `node.alpha.kubernetes.io/ttl` (TTL controller), and the deployment
///    annotation `deployment.kubernetes.io/revision` and deployment `status` after creation
///    (deployment controller).
/// UIDs inside `Status` messages are replaced by `<uid>` before comparing.
enum GoldenComparison {
    static func differences(expected: JSONValue, actual: JSONValue) -> [String] {
        var differences: [String] = []
        compare(normalize(expected), normalize(actual), path: "", into: &differences)
        return differences
    }

    static func normalize(_ value: JSONValue) -> JSONValue {
        var value = value
        value.editObject("metadata") { metadata in
            metadata["managedFields"] = nil
            metadata.editObject("annotations") { annotations in
                annotations["node.alpha.kubernetes.io/ttl"] = nil
                annotations["deployment.kubernetes.io/revision"] = nil
            }
            if metadata["annotations"]?.objectValue?.isEmpty == true { metadata["annotations"] = nil }
        }
        if value["kind"]?.stringValue == "Deployment", value["metadata"]?["generation"]?.intValue ?? 0 > 1 {
            value["status"] = nil
        }
        value.editObject("spec") { spec in
            spec["volumes"] = nil
            spec.editElements("containers") { container, _ in container["volumeMounts"] = nil }
        }
        if let items = value["items"]?.arrayValue { value["items"] = .array(items.map(normalize)) }
        if value["kind"]?.stringValue == "Status", let message = value["message"]?.stringValue {
            value["message"] = .string(replacingUUIDs(message))
        }
        if value["kind"]?.stringValue == "Status" {
            value.editObject("details") { details in
                if details["uid"] != nil { details["uid"] = "<uid>" }
            }
        }
        return value
    }

    static func replacingUUIDs(_ text: String) -> String {
        let pattern = try? NSRegularExpression(pattern: "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
        guard let pattern else { return text }
        let range = NSRange(text.startIndex..., in: text)
        return pattern.stringByReplacingMatches(in: text, range: range, withTemplate: "<uid>")
    }

    static let formatOnly: [String: @Sendable (String) -> Bool] = [
        "uid": isUUID, "resourceVersion": isDecimal, "creationTimestamp": isWholeSecondTime,
        "deletionTimestamp": isWholeSecondTime,
    ]

    static func isUUID(_ text: String) -> Bool {
        text.count == 36 && UUID(uuidString: text) != nil && text == text.lowercased()
    }

    static func isDecimal(_ text: String) -> Bool { !text.isEmpty && text.allSatisfy(\.isASCII) && UInt64(text) != nil }

    static func isWholeSecondTime(_ text: String) -> Bool {
        text.count == 20 && text.hasSuffix("Z") && RFC3339.parse(text) != nil
    }

    private static func compare(_ expected: JSONValue, _ actual: JSONValue, path: String, into differences: inout [String]) {
        let lastKey = path.split(separator: ".").last.map(String.init) ?? ""
        let parentIsMetadata = path.hasSuffix("metadata.\(lastKey)") || path == ".\(lastKey)"
        if parentIsMetadata, let check = formatOnly[lastKey], case .string(let expectedText) = expected {
            guard case .string(let actualText) = actual else {
                differences.append("\(path): expected a string like \(expectedText), got \(actual.compactText)")
                return
            }
            if check(expectedText) != check(actualText) {
                differences.append("\(path): format differs: expected like \(expectedText), got \(actualText)")
            }
            return
        }
        switch (expected, actual) {
        case (.object(let expectedMembers), .object(let actualMembers)):
            for key in Set(expectedMembers.keys).union(actualMembers.keys).sorted() {
                let childPath = "\(path).\(key)"
                switch (expectedMembers[key], actualMembers[key]) {
                case (let expectedValue?, let actualValue?):
                    compare(expectedValue, actualValue, path: childPath, into: &differences)
                case (let expectedValue?, nil):
                    differences.append("\(childPath): missing (expected \(expectedValue.compactText))")
                case (nil, let actualValue?):
                    differences.append("\(childPath): unexpected \(actualValue.compactText)")
                case (nil, nil):
                    break
                }
            }
        case (.array(let expectedElements), .array(let actualElements)):
            guard expectedElements.count == actualElements.count else {
                differences.append("\(path): expected \(expectedElements.count) elements, got \(actualElements.count): \(actual.compactText)")
                return
            }
            for (index, pair) in zip(expectedElements, actualElements).enumerated() {
                compare(pair.0, pair.1, path: "\(path)[\(index)]", into: &differences)
            }
        default:
            if expected != actual {
                differences.append("\(path): expected \(expected.compactText), got \(actual.compactText)")
            }
        }
    }
}
