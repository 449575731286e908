import Foundation

/// One event of a watch stream.
public enum WatchEvent<Object: KubeResource>: Sendable {
    case added(Object)
    case modified(Object)
    case deleted(Object)
    /// A progress marker: everything up to this resourceVersion has been sent.
    case bookmark(resourceVersion: String)

    /// The event's object, if it carries one.
    public var object: Object? {
        switch self {
        case .added(let object), .modified(let object), .deleted(let object): return object
        case .bookmark: return nil
        }
    }

    /// The resourceVersion the event brings the watcher to.
    public var resourceVersion: String? {
        switch self {
        case .bookmark(let version): return version
        default: return object?.metadata.resourceVersion
        }
    }
}

/// A watch stream as an `AsyncSequence` of events. An `ERROR` event from the server ends it by
/// throwing `KubeAPIError` (a `410 Gone` one has `isGone == true`: the caller relists). The sequence
/// ends normally when the server closes the stream (e.g. after `timeoutSeconds`).
public struct WatchEventStream<Object: KubeResource>: AsyncSequence, Sendable {
    public typealias Element = WatchEvent<Object>

    let chunks: AsyncThrowingStream<Data, any Error>
    let request: String

    public struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: AsyncThrowingStream<Data, any Error>.AsyncIterator
        let request: String
        var buffer = Data()
        var pending: [Data] = []
        var finished = false

        public mutating func next() async throws -> WatchEvent<Object>? {
            while true {
                if !pending.isEmpty {
                    let line = pending.removeFirst()
                    if let event = try decode(line) { return event }
                    continue
                }
                if finished { return nil }
                guard let chunk = try await chunks.next() else {
                    finished = true
                    if !buffer.isEmpty {
                        pending.append(buffer)
                        buffer = Data()
                    }
                    continue
                }
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    let line = buffer[buffer.startIndex..<newline]
                    if !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) { pending.append(Data(line)) }
                    buffer = Data(buffer[buffer.index(after: newline)...])
                }
            }
        }

        private func decode(_ line: Data) throws -> WatchEvent<Object>? {
            let type: String
            do {
                type = try KubeJSON.decode(WatchEventType.self, from: line).type
            } catch {
                throw KubeClientError.decoding(request: request, underlying: "watch line: \(error)")
            }
            do {
                switch type {
                case "ADDED": return .added(try KubeJSON.decode(TypedWatchEvent<Object>.self, from: line).object)
                case "MODIFIED": return .modified(try KubeJSON.decode(TypedWatchEvent<Object>.self, from: line).object)
                case "DELETED": return .deleted(try KubeJSON.decode(TypedWatchEvent<Object>.self, from: line).object)
                case "BOOKMARK":
                    let marker = try KubeJSON.decode(TypedWatchEvent<BookmarkObject>.self, from: line).object
                    return .bookmark(resourceVersion: marker.metadata.resourceVersion ?? "")
                case "ERROR":
                    let status = try KubeJSON.decode(TypedWatchEvent<Status>.self, from: line).object
                    throw KubeAPIError(statusCode: status.code ?? 500, status: status, request: request)
                default:
                    return nil
                }
            } catch let error as KubeAPIError {
                throw error
            } catch {
                throw KubeClientError.decoding(request: request, underlying: "\(type) event: \(error)")
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(chunks: chunks.makeAsyncIterator(), request: request)
    }
}

/// The `type` of a watch line, read first to pick the object's type.
private struct WatchEventType: Decodable {
    var type: String
}

/// A watch line with its object decoded as `Payload`.
private struct TypedWatchEvent<Payload: Decodable>: Decodable {
    var object: Payload
}

/// The object of a BOOKMARK event: only its metadata's resourceVersion matters.
private struct BookmarkObject: Decodable {
    var metadata: ListMeta
}
