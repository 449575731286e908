import Arklet
import ServiceLifecycle

/// Runs a tunnel as a ServiceLifecycle service: until graceful shutdown, then a bounded close.
public struct TunnelService: Service {
    public let tunnel: any Tunnel

    public init(tunnel: any Tunnel) {
        self.tunnel = tunnel
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await tunnel.run()
        }
    }
}
