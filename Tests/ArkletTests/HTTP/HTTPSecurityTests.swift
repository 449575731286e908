import Arklet
import BaseSimulation
import CurlHTTP
import Testing

@Suite("HTTP tunnel source-address check and CIDR allow-list (contract §7)", .timeLimit(.minutes(1)))
struct HTTPSecurityTests {
    @Test func aHeartbeatFromAnotherAddressIsRefusedWhenTheCheckIsOn() async throws {
        try await withHTTPHarness(options: .forTests(requireSourceAddressMatch: true)) { harness in
            // Claims 10.9.9.9 but sends from 127.0.0.1.
            let liar = harness.makeBase("liar", heartbeats: true) { $0.localIP = "10.9.9.9" }
            let running = harness.start(liar)
            try await poll(what: "refused heartbeat") { harness.tunnel.refusals.count(.sourceAddressMismatch) >= 1 ? true : nil }
            #expect(await liar.sendHeartbeat() == 403)
            #expect(harness.tunnel.address(of: BaseIdentity("liar")!) == nil, "a refused heartbeat records no address")

            // An honest base on the same tunnel is accepted.
            let honest = try await harness.startAndAwaitHeartbeat(harness.makeBase("honest"))
            #expect(try await harness.tunnel.health(of: BaseIdentity("honest")!).code == .success)
            #expect(harness.recorder.count { if case .heartbeat(BaseIdentity("liar")!, _, _) = $0 { true } else { false } } == 0)
            #expect(harness.tunnel.refusals.counts.keys.sorted { $0.rawValue < $1.rawValue } == [.sourceAddressMismatch])
            await running.stop()
            await honest.stop()
        }
    }

    @Test func aHeartbeatFromAnotherAddressIsAcceptedWhenTheCheckIsOff() async throws {
        try await withHTTPHarness { harness in
            let natted = try await harness.startAndAwaitHeartbeat(harness.makeBase("natted") { $0.localIP = "10.9.9.9" })
            let port = try await natted.base.waitUntilListening()
            #expect(harness.tunnel.address(of: BaseIdentity("natted")!) == ArkletAddress(host: "10.9.9.9", port: port))
            #expect(harness.tunnel.refusals.counts.isEmpty)
            await natted.stop()
        }
    }

    @Test func spellingsOfTheSameAddressMatch() async throws {
        try await withHTTPHarness(options: .forTests(requireSourceAddressMatch: true)) { harness in
            let body = #"{"baseMetadata":{"identity":"spelled"},"localIP":"::ffff:127.0.0.1","port":1238,"state":"activated"}"#
            #expect(try await harness.request("POST", "/heartbeat", body: body).status == 200)
            let empty = #"{"baseMetadata":{"identity":"empty-ip"},"localIP":"","port":1238,"state":"activated"}"#
            let refused = try await harness.request("POST", "/heartbeat", body: empty)
            #expect(refused.status == 403)
            #expect(String(decoding: refused.body, as: UTF8.self).hasPrefix("forbidden: "))
        }
    }

    @Test func peersOutsideTheAllowedNetworksAreRefused() async throws {
        let elsewhere = [CIDRBlock("10.0.0.0/8")!, CIDRBlock("fd00::/8")!]
        try await withHTTPHarness(options: .forTests(allowedCIDRs: elsewhere)) { harness in
            let base = harness.makeBase("outsider")
            let running = harness.start(base)
            try await poll(what: "refused heartbeat") { harness.tunnel.refusals.count(.addressNotAllowed) >= 1 ? true : nil }
            #expect(await base.sendHeartbeat() == 403)
            #expect(try await harness.request("POST", "/queryBaseline", body: #"{"identity":"outsider"}"#).status == 403)
            #expect(try await harness.request("GET", "/anything").status == 403, "refused before routing")
            #expect(harness.recorder.all.isEmpty)
            await running.stop()
        }
    }

    @Test func peersInsideTheAllowedNetworksAreServed() async throws {
        let loopback = [CIDRBlock("fd00::/8")!, CIDRBlock("127.0.0.0/8")!]
        try await withHTTPHarness(options: .forTests(requireSourceAddressMatch: true, allowedCIDRs: loopback)) { harness in
            let running = try await harness.startAndAwaitHeartbeat(harness.makeBase("insider"))
            #expect(harness.tunnel.refusals.counts.isEmpty)
            await running.stop()
        }
    }
}

@Suite("IP addresses and CIDR blocks")
struct CIDRBlockTests {
    @Test func parsesIPv4AndIPv6() throws {
        #expect(CIDRBlock("10.0.0.0/8")?.description == "10.0.0.0/8")
        #expect(CIDRBlock("10.1.2.3/8")?.description == "10.0.0.0/8", "host bits are cleared")
        #expect(CIDRBlock("192.168.1.7")?.description == "192.168.1.7/32")
        #expect(CIDRBlock("fd00:1::/16")?.description == "fd00::/16")
        #expect(CIDRBlock("2001:db8::1")?.description == "2001:db8::1/128")
        #expect(CIDRBlock("::/0")?.description == "::/0")
        #expect(CIDRBlock("0.0.0.0/0")?.description == "0.0.0.0/0")
        #expect(CIDRBlock("::ffff:10.0.0.0/104")?.description == "10.0.0.0/8", "an IPv4-mapped block is the IPv4 block")
        for bad in ["", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8", "::/129", "10.0.0/8", "host/8",
                    "10.0.0.0/8/8", "::ffff:10.0.0.0/95"] {
            #expect(CIDRBlock(bad) == nil, "\(bad)")
        }
    }

    @Test func containment() throws {
        let ten = try #require(CIDRBlock("10.0.0.0/8"))
        #expect(ten.contains(IPAddress("10.255.1.2")!))
        #expect(!ten.contains(IPAddress("11.0.0.1")!))
        #expect(ten.contains(IPAddress("::ffff:10.1.1.1")!), "IPv4-mapped peers of a dual-stack listener")
        #expect(!ten.contains(IPAddress("::1")!))
        let odd = try #require(CIDRBlock("192.168.4.0/22"))
        #expect(odd.contains(IPAddress("192.168.7.255")!))
        #expect(!odd.contains(IPAddress("192.168.8.0")!))
        let six = try #require(CIDRBlock("fd00::/8"))
        #expect(six.contains(IPAddress("fdab:1::2")!))
        #expect(!six.contains(IPAddress("fe80::1")!))
        #expect(!six.contains(IPAddress("10.0.0.1")!))
        #expect(CIDRBlock("::/0")!.contains(IPAddress("2001:db8::1")!))
        #expect(CIDRBlock("0.0.0.0/0")!.contains(IPAddress("8.8.8.8")!))
    }

    @Test func addressSpellings() {
        #expect(IPAddress("::1") == IPAddress("0:0:0:0:0:0:0:1"))
        #expect(IPAddress("[::1]") == IPAddress("::1"))
        #expect(IPAddress("fe80::1%eth0") == IPAddress("fe80::1"))
        #expect(IPAddress("::ffff:127.0.0.1") == IPAddress("127.0.0.1"))
        #expect(IPAddress("127.0.0.1")?.description == "127.0.0.1")
        #expect(IPAddress("2001:DB8::1")?.description == "2001:db8::1")
        #expect(IPAddress("") == nil)
        #expect(IPAddress("localhost") == nil)
        #expect(IPAddress("1.2.3.256") == nil)
    }
}
