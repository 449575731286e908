import Synchronization

/// Where each base's arklet listens, by identity: learned from HTTP heartbeats (`localIP`,
/// `port`) or registered by the controller (a vnode taken over without a heartbeat: the Node's
/// IP and `base.koupleless.io/tunnel-port`). Entries are overwritten, never expire.
final class ArkletAddressBook: Sendable {
    private let addresses = Mutex<[BaseIdentity: ArkletAddress]>([:])

    func set(_ address: ArkletAddress, for identity: BaseIdentity) {
        addresses.withLock { $0[identity] = address }
    }

    func address(of identity: BaseIdentity) -> ArkletAddress? {
        addresses.withLock { $0[identity] }
    }

    func remove(_ identity: BaseIdentity) {
        addresses.withLock { $0[identity] = nil }
    }

    /// The arklet address a heartbeat announces: `localIP` (or, when empty, the address the
    /// heartbeat came from) and `port`, which is the default 1238 when missing or not a TCP port.
    static func address(from status: BaseStatus, peer: String?) -> ArkletAddress? {
        let host = status.localIP.isEmpty ? peer ?? "" : status.localIP
        guard !host.isEmpty else { return nil }
        let port = (1...65_535).contains(status.port) ? status.port : ArkletAddress.defaultPort
        return ArkletAddress(host: host, port: port)
    }
}
