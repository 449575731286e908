import Hummingbird

/// A Hummingbird request context that remembers the TCP peer's IP address, for the HTTP
/// tunnel's source-address and CIDR checks.
struct PeerAddressRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The connection's remote IP address as text; `nil` for non-IP connections.
    let peerAddress: String?

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        peerAddress = source.channel.remoteAddress?.ipAddress
    }
}
