/// Runs tunnel commands (installs, uninstalls, polls) as child tasks of the controller's task
/// group, so a reconcile hands a command over and returns at once instead of waiting for a base.
/// Commands end with the controller: cancelling ``run()`` cancels them all.
final class CommandRunner: Sendable {
    typealias Command = @Sendable () async -> Void

    private let stream: AsyncStream<Command>
    private let continuation: AsyncStream<Command>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Command.self)
    }

    /// Starts `command` as soon as possible.
    func submit(_ command: @escaping Command) {
        continuation.yield(command)
    }

    /// Runs submitted commands until cancelled, then waits for the running ones to end.
    func run() async {
        await withDiscardingTaskGroup { group in
            for await command in stream {
                group.addTask { await command() }
            }
        }
    }
}
