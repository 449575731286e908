/// The commands awaiting an answer from a base, and how answers find them.
///
/// A value type driven by ``MQTTTunnel`` under its lock. Answers are matched by what they are
/// about — base identity, and for install/uninstall the command and biz key — never by arrival
/// order. Several waiters for the same thing are all answered by one report.
struct PendingCommands {
    /// What an answer must be about to satisfy a waiter.
    enum Correlation: Hashable, Sendable {
        case health(BaseIdentity)
        case bizList(BaseIdentity)
        case operation(BaseIdentity, ArkletCommand, BizKey)

        /// The correlation an event answers, if it answers any command.
        init?(answeredBy event: BaseEvent) {
            switch event {
            case .health(let identity, _): self = .health(identity)
            case .bizList(let identity, _): self = .bizList(identity)
            case .operationResult(let identity, let outcome): self = .operation(identity, outcome.command, outcome.key)
            case .heartbeat, .baselineQuery, .batchInstallResult: return nil
            }
        }
    }

    /// One caller waiting for an answer, with what to (re-)send.
    struct Waiter {
        let correlation: Correlation
        let topic: String
        let payload: [UInt8]
        let continuation: CheckedContinuation<BaseEvent, any Error>
        /// How many times the command was handed to the broker.
        var sends = 0
    }

    private var waiters: [Int: Waiter] = [:]
    private var nextID = 0

    mutating func makeID() -> Int {
        defer { nextID += 1 }
        return nextID
    }

    mutating func insert(_ waiter: Waiter, id: Int) {
        waiters[id] = waiter
    }

    mutating func remove(_ id: Int) -> Waiter? {
        waiters.removeValue(forKey: id)
    }

    /// Counts a send of `id` and returns what to publish; `nil` when it is no longer pending.
    mutating func beginSend(_ id: Int) -> (topic: String, payload: [UInt8])? {
        guard var waiter = waiters[id] else { return nil }
        waiter.sends += 1
        waiters[id] = waiter
        return (waiter.topic, waiter.payload)
    }

    /// Takes back a send that did not reach the transport.
    mutating func cancelSend(_ id: Int) {
        if var waiter = waiters[id], waiter.sends > 0 {
            waiter.sends -= 1
            waiters[id] = waiter
        }
    }

    var ids: [Int] { waiters.keys.sorted() }

    var isEmpty: Bool { waiters.isEmpty }

    /// Removes and returns the waiters `event` answers.
    ///
    /// A "conflict" failure does not answer a waiter that has sent its command more than once:
    /// it is most likely the base refusing our own re-send while the first attempt still runs,
    /// whose real result is still to come.
    mutating func resolve(with event: BaseEvent) -> [CheckedContinuation<BaseEvent, any Error>] {
        guard let correlation = Correlation(answeredBy: event) else { return [] }
        var isConflict = false
        if case .operationResult(_, let outcome) = event { isConflict = outcome.isConflict }
        let matching = waiters.filter { $0.value.correlation == correlation && !(isConflict && $0.value.sends > 1) }
        for id in matching.keys { waiters[id] = nil }
        return matching.keys.sorted().compactMap { matching[$0]?.continuation }
    }

    /// Removes every waiter (shutdown).
    mutating func removeAll() -> [CheckedContinuation<BaseEvent, any Error>] {
        defer { waiters = [:] }
        return waiters.keys.sorted().compactMap { waiters[$0]?.continuation }
    }
}
