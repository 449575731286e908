import Arklet
import Logging
import Testing

@Suite struct HTTPTunnelAddressTests {
    @Test func aNodeAddressIsUsedOnlyUntilTheBaseSaysOtherwise() throws {
        let tunnel = HTTPTunnel(options: HTTPTunnelOptions(host: "127.0.0.1", port: 0), logger: Logger(label: "http"))
        let identity = try #require(BaseIdentity("10.1.0.45"))
        tunnel.learnAddress(host: "10.1.0.45", port: nil, for: identity)
        #expect(tunnel.address(of: identity) == ArkletAddress(host: "10.1.0.45", port: 1238))
        // The Node changed (the base moved while another replica owned it): the newer Node wins.
        tunnel.learnAddress(host: "10.1.0.47", port: 1240, for: identity)
        #expect(tunnel.address(of: identity) == ArkletAddress(host: "10.1.0.47", port: 1240))
        // An address from the base (a heartbeat) or setAddress is not replaced by the Node's.
        tunnel.setAddress(ArkletAddress(host: "10.1.0.46", port: 1300), for: identity)
        tunnel.learnAddress(host: "10.9.9.9", port: 1400, for: identity)
        #expect(tunnel.address(of: identity) == ArkletAddress(host: "10.1.0.46", port: 1300))

        let other = try #require(BaseIdentity("base-b"))
        tunnel.learnAddress(host: "10.2.0.1", port: 70000, for: other)
        #expect(tunnel.address(of: other) == ArkletAddress(host: "10.2.0.1", port: 1238))
        tunnel.learnAddress(host: "", port: 1300, for: try #require(BaseIdentity("base-c")))
        #expect(tunnel.address(of: try #require(BaseIdentity("base-c"))) == nil)
    }
}
