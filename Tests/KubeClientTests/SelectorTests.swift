import KubeClient
import Testing

@Suite struct SelectorTests {
    @Test func parsesAndMatchesLabelSelectors() throws {
        let selector = try LabelSelector(parsing: "app=biz1, tier!=web,env in (dev, test),!legacy,virtual-kubelet.koupleless.io/component")
        #expect(selector.requirements.count == 5)
        let labels = ["app": "biz1", "env": "dev", "virtual-kubelet.koupleless.io/component": "module"]
        #expect(selector.matches(labels))
        #expect(!selector.matches(labels.merging(["legacy": "1"]) { $1 }))
        #expect(!selector.matches(labels.merging(["env": "prod"]) { $1 }))
        #expect(!selector.matches(labels.merging(["tier": "web"]) { $1 }))
        #expect(try LabelSelector(parsing: "a notin (x)").matches([:]))
        #expect(try LabelSelector(parsing: "").matches(nil))
        #expect(try LabelSelector(parsing: selector.description) == selector)
    }

    @Test func rejectsMalformedSelectorsWithAMessage() {
        #expect(throws: SelectorError.self) { try LabelSelector(parsing: "a in x") }
        #expect(throws: SelectorError.self) { try LabelSelector(parsing: "=b") }
        #expect(throws: SelectorError.self) { try FieldSelector(parsing: "spec.nodeName") }
    }

    @Test func matchesFieldSelectors() throws {
        let selector = try FieldSelector(parsing: "spec.nodeName=vnode.a.dev,status.phase!=Failed")
        #expect(selector.matches { ["spec.nodeName": "vnode.a.dev", "status.phase": "Running"][$0] })
        #expect(!selector.matches { ["spec.nodeName": "vnode.a.dev", "status.phase": "Failed"][$0] })
        #expect(!selector.matches { _ in nil })
    }
}

@Suite struct JSONValueTests {
    @Test func mergePatchFollowsRFC7386() throws {
        let document: JSONValue = ["a": "b", "c": ["d": "e", "f": "g"], "list": [1, 2]]
        let patch: JSONValue = ["a": "z", "c": ["f": nil], "list": [3], "new": true]
        let result = document.applyingMergePatch(patch)
        #expect(result == ["a": "z", "c": ["d": "e"], "list": [3], "new": true])
    }

    @Test func keepsIntegersExactThroughCoding() throws {
        let value: JSONValue = ["big": .int(9_007_199_254_740_993), "x": 1.5, "s": "t", "n": nil]
        let decoded = try KubeJSON.decode(JSONValue.self, from: try value.jsonData())
        #expect(decoded == value)
    }
}
