/// Which transport a base talks over; a vnode remembers the tunnel it was discovered on.
public enum TunnelKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case mqtt
    case http

    public var description: String { rawValue }
}
