import Foundation
import KubeClient
import Testing

@testable import KubeTestServer

/// Pieces tested without HTTP: the JSON codec, image tags, QoS, and scale with many objects.
@Suite("Units")
struct UnitTests {
    @Test("the JSON codec round-trips integers, doubles, escapes and non-ASCII text")
    func codec() throws {
        let text = #"{"a":[1,-2,3.5,1e3,true,false,null],"s":"tab\t \"q\" \\ \u00e9 \ud83d\ude00 \u0001","n":{}}"#
        let value = try JSONCodec.parse(Array(text.utf8))
        #expect(value["a"] == [1, -2, 3.5, 1000.0, true, false, nil])
        #expect(value["s"]?.stringValue == "tab\t \"q\" \\ é 😀 \u{1}")
        let encoded = String(decoding: JSONCodec.serialize(value), as: UTF8.self)
        #expect(encoded == #"{"a":[1,-2,3.5,1000,true,false,null],"n":{},"s":"tab\t \"q\" \\ é 😀 \u0001"}"#)
        // Doubles with an integral value are written as integers (as Go does), so compare a value without them.
        var roundTrip = value
        roundTrip["a"] = [1, -2, 3.5, true, false, nil]
        #expect(try JSONCodec.parse(JSONCodec.serialize(roundTrip)) == roundTrip)
        for bad in ["{", "[1,]", "{\"a\" 1}", "tru", "\"x", "1 2", "{\"a\":01x}"] {
            #expect(throws: JSONCodec.ParseError.self) { try JSONCodec.parse(Array(bad.utf8)) }
        }
    }

    @Test("imagePullPolicy defaulting follows the image tag as the real server parses it")
    func imageTags() {
        #expect(Defaulting.imageTag("nginx") == "latest")
        #expect(Defaulting.imageTag("nginx:latest") == "latest")
        #expect(Defaulting.imageTag("example.org:5000/app:1.2") == "1.2")
        #expect(Defaulting.imageTag("example.org:5000/app") == "latest")
        #expect(Defaulting.imageTag("app@sha256:abc") == "")
        #expect(Defaulting.imageTag("https://example.org/biz1-0.0.1-ark-biz.jar") == "")
    }

    @Test("QoS classes")
    func qos() {
        #expect(Defaulting.qosClass(of: ["containers": [["name": "a"]]]) == "BestEffort")
        let limits: JSONValue = ["cpu": "1", "memory": "1Gi"]
        #expect(Defaulting.qosClass(of: ["containers": [["resources": ["limits": limits, "requests": limits]]]]) == "Guaranteed")
        #expect(Defaulting.qosClass(of: ["containers": [["resources": ["requests": ["cpu": "1"]]]]]) == "Burstable")
    }

    /// How fast node-scoped lists are at 10,000 pods is a benchmark's question; here: they are
    /// answered from the node-name index (only the node's pods are even looked at), and right.
    @Test("node-scoped lists and watches of pods are served from the node-name index")
    func nodeNameIndex() async throws {
        try await withServer { server, client in
            let now = Date()
            try server.store.withState { (state: inout StoreState) throws(APIError) in
                for node in 0..<100 {
                    _ = try state.create(.nodes, namespace: nil, body: Fixtures.node("vnode-\(node)"), now: now)
                    for index in 0..<10 {
                        _ = try state.create(.pods, namespace: "default", body: Fixtures.pod("pod-\(node)-\(index)", node: "vnode-\(node)"),
                            now: now)
                    }
                }
            }
            let candidates = try server.store.withState { (state: inout StoreState) throws(APIError) in
                state.currentObjects(.pods, namespace: nil, nodeName: "vnode-50")
            }
            #expect(candidates.count == 10, "the index gives exactly the node's pods")
            let nodeAnswer = try await client.get("/api/v1/pods?fieldSelector=spec.nodeName%3Dvnode-50")
            let names = try nodeAnswer.json["items"]?.arrayValue?.compactMap { $0["metadata"]?["name"]?.stringValue } ?? []
            #expect(Set(names) == Set((0..<10).map { "pod-50-\($0)" }))
            let allAnswer = try await client.get("/api/v1/namespaces/default/pods")
            #expect(try allAnswer.json["items"]?.arrayValue?.count == 1_000)
            let watch = try await client.watch("/api/v1/pods?watch=1&fieldSelector=spec.nodeName%3Dvnode-7")
            let initial = try await watch.waitForEvents(10)
            #expect(Set(initial.compactMap { $0["object"]?["spec"]?["nodeName"]?.stringValue }) == ["vnode-7"])
        }
    }
}
