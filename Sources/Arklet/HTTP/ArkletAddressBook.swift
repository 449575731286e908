import Synchronization

/// Where each base's arklet listens, by identity: learned from HTTP heartbeats (`localIP`,
/// `port`) or registered by the controller (``set(_:for:)``), or, for a vnode taken over without a
/// heartbeat, learnt from its Node (``learn(_:for:)``: the Node's IP and
/// `base.koupleless.io/tunnel-port`). A heartbeat's or registered address is only ever replaced by
/// another one; a Node's address is replaced by anything newer. Entries never expire.
final class ArkletAddressBook: Sendable {
    private struct Entry {
        var address: ArkletAddress
        /// From the Node rather than from the base or the controller.
        var fromNode: Bool
    }

    private let entries = Mutex<[BaseIdentity: Entry]>([:])

    /// Records an address the base announced (or the controller registered).
    func set(_ address: ArkletAddress, for identity: BaseIdentity) {
        entries.withLock { $0[identity] = Entry(address: address, fromNode: false) }
    }

    /// Records the address a Node shows, unless the base's own is known; returns whether it did.
    @discardableResult
    func learn(_ address: ArkletAddress, for identity: BaseIdentity) -> Bool {
        entries.withLock { entries in
            guard entries[identity]?.fromNode ?? true else { return false }
            entries[identity] = Entry(address: address, fromNode: true)
            return true
        }
    }

    func address(of identity: BaseIdentity) -> ArkletAddress? {
        entries.withLock { $0[identity]?.address }
    }

    func remove(_ identity: BaseIdentity) {
        entries.withLock { $0[identity] = nil }
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
