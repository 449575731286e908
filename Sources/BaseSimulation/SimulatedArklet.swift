import Arklet
import Foundation

/// The behaviour of one base's arklet and SOFAArk, independent of the transport: what a real
/// base answers to `health`, `queryAllBiz`, `installBiz`, `uninstallBiz`, `batchInstallBiz`,
/// and `CMD_NOT_FOUND` for anything else.
///
/// Follows SOFAArk with `activate.new.module=true`: installing a new version of a biz name
/// activates it and deactivates the older active version of that name. A second operation on a
/// biz key while one is running is refused with a `FAILED` "conflict" answer, as the arklet does.
/// ``crash()`` forgets every biz (a JVM restart keeps the identity but loses its modules).
public actor SimulatedArklet {
    /// One installed biz.
    public struct InstalledBiz: Sendable, Hashable {
        public var model: BizModel
        public var state: ArkState
        public var records: [BizStateRecord]
    }

    /// A command as the base received it.
    public struct ReceivedCommand: Sendable, Hashable {
        public var command: ArkletCommand
        public var key: BizKey?
    }

    public nonisolated let configuration: SimulatedBaseConfiguration
    private let now: @Sendable () -> Date
    private var installed: [BizKey: InstalledBiz] = [:] {
        didSet { if configuration.recordsStateHistory { stateHistory.append(bizStates) } }
    }
    private var running: Set<BizKey> = []
    /// Bumped by ``crash()``: operations started before a crash report nothing.
    private var generation = 0
    public private(set) var receivedCommands: [ReceivedCommand] = []
    /// The biz states after every change, oldest first, when
    /// ``SimulatedBaseConfiguration/recordsStateHistory`` is on (empty otherwise).
    public private(set) var stateHistory: [[BizKey: ArkState]] = []

    public init(configuration: SimulatedBaseConfiguration, now: @escaping @Sendable () -> Date = { Date() }) {
        self.configuration = configuration
        self.now = now
    }

    /// Current biz states by key.
    public var bizStates: [BizKey: ArkState] { installed.mapValues(\.state) }

    /// Installed bizzes.
    public var bizzes: [InstalledBiz] { installed.keys.sorted().compactMap { installed[$0] } }

    /// How many times `command` was received (for `key`, when given).
    public func count(of command: ArkletCommand, key: BizKey? = nil) -> Int {
        receivedCommands.filter { $0.command == command && (key == nil || $0.key == key) }.count
    }

    /// The JVM died: every biz and running operation is forgotten.
    public func crash() {
        installed = [:]
        running = []
        generation += 1
    }

    /// Sets a biz's state directly (test hook, like the upstream mock's `SetBizState`).
    public func setState(_ state: ArkState, of key: BizKey, reason: String = "TEST", message: String = "") {
        guard var biz = installed[key] else { return }
        biz.state = state
        biz.records.append(BizStateRecord(changeTime: now().epochMilliseconds, state: state, reason: reason, message: message))
        installed[key] = biz
    }

    // MARK: - Commands

    /// The `health` answer: metaspace figures and an ACTIVATED master biz.
    public func health() -> ArkletResponse<HealthResponseData> {
        receivedCommands.append(ReceivedCommand(command: .health))
        let master = MasterBizInfo(bizName: configuration.metadata.name, bizVersion: configuration.metadata.version, bizState: .activated)
        let data = HealthData(maxMetaspace: configuration.maxMetaspace, committedMetaspace: configuration.committedMetaspace,
                              usedMetaspace: configuration.usedMetaspace,
                              cpu: ["count": .integer(Int64(ProcessInfo.processInfo.activeProcessorCount)), "type": .string("simulated")],
                              masterBizInfo: master)
        return ArkletResponse(code: .success, data: HealthResponseData(healthData: data))
    }

    /// The MQTT `queryAllBiz` answer (T9): every biz but the master one.
    public func simpleBizList() -> [SimpleBizInfo] {
        receivedCommands.append(ReceivedCommand(command: .queryAllBiz))
        return bizzes.map { biz in
            SimpleBizInfo(name: biz.model.bizName, version: biz.model.bizVersion, state: biz.state,
                          latestStateRecord: biz.records.last)
        }
    }

    /// The HTTP `queryAllBiz` answer: every biz including the master one.
    public func fullBizList() -> ArkletResponse<[ArkBizInfo]> {
        receivedCommands.append(ReceivedCommand(command: .queryAllBiz))
        let master = ArkBizInfo(bizName: configuration.metadata.name, bizVersion: configuration.metadata.version,
                                bizState: .activated, mainClass: ArkBizInfo.masterBizMainClass, webContextPath: "/")
        return ArkletResponse(code: .success, data: bizzes.map(\.info) + [master])
    }

    /// Installs one biz; returns `nil` when the base crashed meanwhile (no answer is sent).
    public func install(_ biz: BizModel) async -> ArkletResponse<ClientResponse>? {
        receivedCommands.append(ReceivedCommand(command: .installBiz, key: biz.key))
        observe(.installBiz, biz.key, .received)
        let response = await performInstall(biz)
        if let response { observe(.installBiz, biz.key, .answered(succeeded: response.code == .success)) }
        return response
    }

    /// Uninstalls one biz; returns `nil` when the base crashed meanwhile.
    public func uninstall(_ biz: BizModel) async -> ArkletResponse<ClientResponse>? {
        receivedCommands.append(ReceivedCommand(command: .uninstallBiz, key: biz.key))
        observe(.uninstallBiz, biz.key, .received)
        let response = await performUninstall(biz)
        if let response { observe(.uninstallBiz, biz.key, .answered(succeeded: response.code == .success)) }
        return response
    }

    private func performUninstall(_ biz: BizModel) async -> ArkletResponse<ClientResponse>? {
        let key = biz.key
        guard !biz.bizName.isEmpty, !biz.bizVersion.isEmpty else {
            return Self.failure("bizName and bizVersion are required", clientCode: "FAILED")
        }
        guard !running.contains(key) else { return Self.conflict(key) }
        guard installed[key] != nil else {
            return ArkletResponse(code: .failed, message: "uninstall biz not success!",
                                  data: ClientResponse(code: "NOT_FOUND_BIZ", message: "Uninstall biz: \(key) not found."))
        }
        running.insert(key)
        let started = generation
        try? await Task.sleep(for: configuration.uninstallDuration)
        guard generation == started else { return nil }
        running.remove(key)
        let removed = installed.removeValue(forKey: key)
        var info = removed?.info
        info?.bizState = .stopped
        return ArkletResponse(code: .success,
                              data: ClientResponse(code: "SUCCESS", message: "Uninstall biz: \(key) success.",
                                                   bizInfos: info.map { [$0] } ?? []))
    }

    /// Installs several bizzes concurrently (the arklet's batch install); one entry per URL.
    public func batchInstall(_ bizzes: [BizModel]) async -> ArkletResponse<BatchInstallResponse>? {
        receivedCommands.append(ReceivedCommand(command: .batchInstallBiz))
        let started = generation
        let clock = ContinuousClock()
        let begin = clock.now
        let results = await withTaskGroup(of: (String, ArkletResponse<ClientResponse>?).self) { group in
            for biz in bizzes {
                group.addTask { (biz.bizUrl, await self.performInstall(biz)) }
            }
            var results: [String: ClientResponse] = [:]
            for await (url, response) in group {
                guard let response else { continue }
                results[url] = response.data ?? ClientResponse(code: response.code.rawValue, message: response.message)
            }
            return results
        }
        guard generation == started else { return nil }
        let allSucceeded = results.values.allSatisfy { $0.code == "SUCCESS" }
        let elapsed = Int64((clock.now - begin).components.seconds * 1000)
        let data = BatchInstallResponse(code: allSucceeded ? "SUCCESS" : "FAILED",
                                        message: allSucceeded ? "batch install success" : "batch install failed",
                                        elapsedSpace: elapsed, bizUrlToResponse: results)
        return ArkletResponse(code: allSucceeded ? .success : .failed, data: data)
    }

    /// Dispatches a command by name with a JSON body, as the HTTP command server does.
    /// Unknown commands get `CMD_NOT_FOUND`; `nil` means the base crashed meanwhile.
    public func handle(_ command: ArkletCommand, body: [UInt8]) async -> ArkletResponse<WireJSON>? {
        do {
            switch command {
            case .health: return try Self.erase(health())
            case .queryAllBiz: return try Self.erase(fullBizList())
            case .installBiz: return try await install(WireCoding.decode(BizModel.self, from: body)).map(Self.erase)
            case .uninstallBiz: return try await uninstall(WireCoding.decode(BizModel.self, from: body)).map(Self.erase)
            case .batchInstallBiz:
                return try await batchInstall(WireCoding.decode(BatchInstallRequest.self, from: body).bizList).map(Self.erase)
            default:
                receivedCommands.append(ReceivedCommand(command: command))
                return ArkletResponse(code: .commandNotFound, message: "command not found: \(command)")
            }
        } catch {
            return ArkletResponse(code: .internalError, message: "\(error)")
        }
    }

    private func observe(_ command: ArkletCommand, _ key: BizKey, _ phase: SimulatedOperationEvent.Phase) {
        guard let observer = configuration.operationObserver else { return }
        observer(SimulatedOperationEvent(identity: configuration.identity, command: command, key: key, phase: phase,
                                         instant: ContinuousClock.now))
    }

    // MARK: - Rules

    private func performInstall(_ biz: BizModel) async -> ArkletResponse<ClientResponse>? {
        let key = biz.key
        guard !biz.bizUrl.trimmingCharacters(in: .whitespaces).isEmpty else {
            return Self.failure("bizUrl must not be blank", clientCode: "FAILED")
        }
        guard !biz.bizName.isEmpty, !biz.bizVersion.isEmpty else {
            return Self.failure("bizName and bizVersion must both be set (the simulator cannot read jars)", clientCode: "FAILED")
        }
        guard !running.contains(key) else { return Self.conflict(key) }
        if installed[key] != nil {
            return ArkletResponse(code: .failed, message: "install biz not success!",
                                  data: ClientResponse(code: "REPEAT_BIZ", message: "Biz: \(key) has been installed or registered."))
        }
        running.insert(key)
        installed[key] = InstalledBiz(model: biz, state: .resolved,
                                      records: [BizStateRecord(changeTime: now().epochMilliseconds, state: .resolved, reason: "INSTALLED")])
        let started = generation
        let clock = ContinuousClock()
        let begin = clock.now
        try? await Task.sleep(for: configuration.installDurations[biz.bizName] ?? configuration.installDuration)
        guard generation == started else { return nil }
        running.remove(key)
        if configuration.installFailureRate > 0, configuration.random() < configuration.installFailureRate {
            installed[key] = nil
            return Self.failure("simulated install failure of \(key)", clientCode: "FAILED")
        }
        // One switch, as SOFAArk's activeBiz does it: the new version is ACTIVATED and the older
        // active one DEACTIVATED in the same step, so no observer sees the name without an active version.
        let changeTime = now().epochMilliseconds
        var switched = installed
        for (otherKey, other) in installed where otherKey.name == key.name && otherKey != key && other.state == .activated {
            var deactivated = other
            deactivated.state = .deactivated
            deactivated.records.append(BizStateRecord(changeTime: changeTime, state: .deactivated, reason: "SWITCHED",
                                                      message: "\(key) activated"))
            switched[otherKey] = deactivated
        }
        var activated = installed[key] ?? InstalledBiz(model: biz, state: .resolved, records: [])
        activated.state = .activated
        activated.records.append(BizStateRecord(changeTime: changeTime, state: .activated, reason: "STARTED"))
        switched[key] = activated
        installed = switched
        let cost = (clock.now - begin).components.seconds * 1000 + (clock.now - begin).components.attoseconds / 1_000_000_000_000_000
        return ArkletResponse(code: .success,
                              data: ClientResponse(code: "SUCCESS", message: "Install Biz: \(key) success, cost: \(cost) ms",
                                                   bizInfos: [activated.info], elapsedSpace: cost))
    }

    private static func conflict(_ key: BizKey) -> ArkletResponse<ClientResponse> {
        failure("conflict: another operation on \(key) is running", clientCode: "FAILED")
    }

    private static func failure(_ message: String, clientCode: String) -> ArkletResponse<ClientResponse> {
        ArkletResponse(code: .failed, message: message, data: ClientResponse(code: clientCode, message: message))
    }

    private static func erase<T: Codable & Sendable>(_ response: ArkletResponse<T>) throws -> ArkletResponse<WireJSON> {
        try WireCoding.decode(ArkletResponse<WireJSON>.self, from: WireCoding.encode(response))
    }
}

extension SimulatedArklet.InstalledBiz {
    /// The biz as SOFAArk describes it.
    var info: ArkBizInfo {
        ArkBizInfo(bizName: model.bizName, bizVersion: model.bizVersion, bizState: state,
                   mainClass: "\(model.bizName).Application", webContextPath: model.bizName, bizStateRecords: records)
    }
}

/// An install or uninstall as a simulated base handles it, for
/// ``SimulatedBaseConfiguration/operationObserver`` (benchmarks time the way through the base).
public struct SimulatedOperationEvent: Sendable, Hashable {
    public enum Phase: Sendable, Hashable {
        /// The command reached the arklet.
        case received
        /// The arklet's answer is ready to be sent.
        case answered(succeeded: Bool)
    }

    public var identity: BaseIdentity
    /// `installBiz` or `uninstallBiz`.
    public var command: ArkletCommand
    public var key: BizKey
    public var phase: Phase
    /// When it happened, on this process's monotonic clock.
    public var instant: ContinuousClock.Instant
}
