import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A real mosquitto broker on a free loopback port, owned by one test (shared by the test targets
/// that need a broker; not used by the product).
///
/// Writes a config with `listener <port> 127.0.0.1` and `allow_anonymous true`, launches
/// `/usr/sbin/mosquitto -c <file>`, and waits (with a deadline) until a TCP connect succeeds.
/// ``stop()`` kills it and waits for the exit; ``start()`` again reuses the same port.
public final class TestBroker: Sendable {
    public static let executable = "/usr/sbin/mosquitto"

    public let port: Int
    public let directory: URL
    private let process = Mutex<Process?>(nil)

    private init(port: Int, directory: URL) {
        self.port = port
        self.directory = directory
    }

    /// Starts a broker on `port`, or on a free port. `prepare` may write files into the broker's
    /// directory first and returns configuration lines that refer to them.
    public static func launch(port: Int? = nil, allowAnonymous: Bool = true, extraConfiguration: String = "",
                       prepare: (URL) throws -> String = { _ in "" }) async throws -> TestBroker {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("test-broker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o777])
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: directory.path)
        let prepared = try prepare(directory)
        let broker = TestBroker(port: try port ?? freeLoopbackPort(), directory: directory)
        // Run as root, mosquitto switches to the `mosquitto` user, which may not be able to read
        // the repository's TLS fixtures or the temporary directory; `user root` keeps it as is.
        let user = geteuid() == 0 ? "user root" : ""
        let configuration = """
            \(user)
            listener \(broker.port) 127.0.0.1
            allow_anonymous \(allowAnonymous)
            persistence false
            log_dest file \(directory.appendingPathComponent("mosquitto.log").path)
            \(extraConfiguration)
            \(prepared)
            """
        try configuration.write(to: broker.configurationFile, atomically: true, encoding: .utf8)
        try await broker.start()
        return broker
    }

    private var configurationFile: URL { directory.appendingPathComponent("mosquitto.conf") }

    /// (Re)starts the broker on its port and waits until it accepts connections.
    public func start(timeout: Duration = .seconds(10)) async throws {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.executable)
            process.arguments = ["-c", configurationFile.path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            self.process.withLock { $0 = process }
            if try await waitUntilAccepting(process: process, deadline: deadline) { return }
            // The port was still held (e.g. by the previous instance); try again until the deadline.
            guard ContinuousClock.now < deadline else { throw BrokerError.didNotStart(port: port) }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Kills the broker (SIGKILL: no goodbyes, like a crash) and waits for it to exit.
    public func stop(timeout: Duration = .seconds(10)) async {
        guard let process = process.withLock({ current -> Process? in
            defer { current = nil }
            return current
        }) else { return }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops the broker and removes its files.
    public func shutdown() async {
        await stop()
        try? FileManager.default.removeItem(at: directory)
    }

    private func waitUntilAccepting(process: Process, deadline: ContinuousClock.Instant) async throws -> Bool {
        while ContinuousClock.now < deadline {
            if !process.isRunning { return false }
            if Self.canConnect(port: port) { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw BrokerError.didNotStart(port: port)
    }

    enum BrokerError: Error {
        case didNotStart(port: Int)
        case noFreePort
    }

    /// A port the kernel just handed out for 127.0.0.1 (bound to 0, then released).
    public static func freeLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BrokerError.noFreePort }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw BrokerError.noFreePort }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw BrokerError.noFreePort }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    public static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
