import CCurl
import Foundation
import Logging
import Synchronization

/// An asynchronous HTTP/1.1 client on libcurl. One curl multi handle, driven by one dedicated
/// thread, carries every request and stream of the client, so libcurl's blocking work never runs on
/// Swift's cooperative thread pool and connections are pooled across requests.
public final class CurlHTTPClient: Sendable {
    private let engine: CurlEngine

    public init(logger: Logger = Logger(label: "curl-http")) {
        engine = CurlEngine(logger: logger)
    }

    deinit {
        engine.stop()
    }

    /// Sends a request and returns the whole response (bounded by `maxResponseBytes`).
    /// Cancelling the calling task aborts the transfer.
    public func execute(_ request: HTTPRequest) async throws -> HTTPResponse {
        let box = TransferBox()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let transfer = CurlTransfer(request: request, delivery: .buffered(continuation))
                box.set(transfer)
                engine.submit(transfer)
            }
        } onCancel: {
            if let transfer = box.get() { engine.cancel(transfer) }
        }
    }

    /// Sends a request and returns as soon as a 2xx response head arrives; the body follows as a
    /// stream of chunks. A non-2xx answer is returned with its whole body as the stream's one chunk.
    /// Ending the iteration of the body (or cancelling its task) aborts the transfer.
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        let box = TransferBox()
        let engine = self.engine
        let (stream, continuation) = AsyncThrowingStream<Data, any Error>.makeStream(bufferingPolicy: .unbounded)
        continuation.onTermination = { termination in
            if case .cancelled = termination, let transfer = box.get() { engine.cancel(transfer) }
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { head in
                let transfer = CurlTransfer(
                    request: request, delivery: .streaming(head: head, body: continuation, stream: stream))
                box.set(transfer)
                engine.submit(transfer)
            }
        } onCancel: {
            if let transfer = box.get() { engine.cancel(transfer) }
        }
    }

    /// Fails every transfer in flight and stops the loop thread.
    public func shutdown() {
        engine.stop()
    }
}

/// Holds the transfer of one call so its cancellation handler can find it.
private final class TransferBox: Sendable {
    private let transfer = Mutex<CurlTransfer?>(nil)
    func set(_ value: CurlTransfer) { transfer.withLock { $0 = value } }
    func get() -> CurlTransfer? { transfer.withLock { $0 } }
}

/// The curl multi handle and the thread that drives it.
final class CurlEngine: Sendable {
    private struct Inbox {
        var additions: [CurlTransfer] = []
        var cancellations: [CurlTransfer] = []
        var stopping = false
    }

    private let multi: MultiHandle
    private let inbox = Mutex(Inbox())
    private let logger: Logger

    init(logger: Logger) {
        CurlGlobal.initialise()
        multi = MultiHandle(curl_multi_init())
        self.logger = logger
        // The thread keeps the engine alive until `stop()` ends the loop.
        let thread = Thread { [self] in runLoop() }
        thread.name = "curl-http"
        thread.start()
    }

    func submit(_ transfer: CurlTransfer) {
        let accepted = inbox.withLock { inbox -> Bool in
            guard !inbox.stopping else { return false }
            inbox.additions.append(transfer)
            return true
        }
        if accepted {
            curl_multi_wakeup(multi.pointer)
        } else {
            transfer.fail(HTTPClientError.shutdown)
        }
    }

    func cancel(_ transfer: CurlTransfer) {
        inbox.withLock { $0.cancellations.append(transfer) }
        curl_multi_wakeup(multi.pointer)
    }

    func stop() {
        let wasStopping = inbox.withLock { inbox -> Bool in
            defer { inbox.stopping = true }
            return inbox.stopping
        }
        if !wasStopping { curl_multi_wakeup(multi.pointer) }
    }

    /// The loop thread: adds and removes transfers, drives the multi handle, completes transfers.
    private func runLoop() {
        var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
        while true {
            let (additions, cancellations, stopping) = inbox.withLock { inbox in
                defer {
                    inbox.additions.removeAll()
                    inbox.cancellations.removeAll()
                }
                return (inbox.additions, inbox.cancellations, inbox.stopping)
            }
            for transfer in cancellations {
                guard let easy = transfer.easy, active.removeValue(forKey: easy) != nil else {
                    // Not started yet: it may still be among this round's additions.
                    continue
                }
                curl_multi_remove_handle(multi.pointer, easy)
                transfer.fail(CancellationError())
            }
            let cancelledIDs = Set(cancellations.map(ObjectIdentifier.init))
            for transfer in additions {
                if cancelledIDs.contains(ObjectIdentifier(transfer)) || stopping {
                    transfer.fail(stopping ? HTTPClientError.shutdown as any Error : CancellationError())
                    continue
                }
                let userdata = Unmanaged.passUnretained(transfer).toOpaque()
                if let error = transfer.configure(userdata: userdata) {
                    transfer.fail(error)
                    continue
                }
                guard let easy = transfer.easy else { continue }
                active[easy] = transfer
                curl_multi_add_handle(multi.pointer, easy)
            }
            if stopping {
                for (easy, transfer) in active {
                    curl_multi_remove_handle(multi.pointer, easy)
                    transfer.fail(HTTPClientError.shutdown)
                }
                active.removeAll()
                curl_multi_cleanup(multi.pointer)
                logger.debug("curl loop stopped")
                return
            }
            var running: Int32 = 0
            curl_multi_perform(multi.pointer, &running)
            var remaining: Int32 = 0
            while let message = curl_multi_info_read(multi.pointer, &remaining) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
                let code = message.pointee.data.result
                curl_multi_remove_handle(multi.pointer, easy)
                if let transfer = active.removeValue(forKey: easy) {
                    transfer.complete(code: code)
                }
            }
            var ready: Int32 = 0
            curl_multi_poll(multi.pointer, nil, 0, 1000, &ready)
        }
    }
}

/// The `CURLM *` of an engine.
///
/// `@unchecked Sendable`: the pointer is immutable; every call on it happens on the engine's loop
/// thread except `curl_multi_wakeup`, which libcurl documents as callable from any thread.
struct MultiHandle: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer

    init(_ pointer: UnsafeMutableRawPointer?) {
        guard let pointer else { fatalError("curl_multi_init failed: out of memory") }
        self.pointer = pointer
    }
}

/// `curl_global_init`, exactly once per process.
enum CurlGlobal {
    private static let initialised: Bool = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        return true
    }()

    static func initialise() { _ = initialised }
}
