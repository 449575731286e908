import ModuleDeployments
import ServiceLifecycle
import VirtualKubelet

/// Runs a long-lived `run()` (controller, informer, peer replica sync) as a ServiceLifecycle
/// service: until graceful shutdown cancels it.
public struct RunLoopService: Service {
    private let body: @Sendable () async -> Void

    public init(_ body: @escaping @Sendable () async -> Void) {
        self.body = body
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await body()
        }
    }
}
