#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as bytes (4 or 16), parsed from its textual form, so that two
/// spellings of one address compare equal (`::1` and `0:0::1`, `::ffff:10.0.0.1` and `10.0.0.1`).
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6, network order.
    public let bytes: [UInt8]

    /// Parses dotted IPv4 or IPv6 text; brackets (`[::1]`) and an IPv6 zone (`fe80::1%eth0`) are
    /// accepted and ignored. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) becomes IPv4, which is
    /// what a dual-stack listener reports for IPv4 peers. `nil` when `text` is not an address.
    public init?(_ text: String) {
        var literal = Substring(text)
        if literal.hasPrefix("["), literal.hasSuffix("]") { literal = literal.dropFirst().dropLast() }
        if let zone = literal.firstIndex(of: "%") { literal = literal[..<zone] }
        guard !literal.isEmpty else { return nil }
        let text = String(literal)
        if !text.contains(":") {
            var address = in_addr()
            guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
            bytes = withUnsafeBytes(of: &address) { Array($0) }
        } else {
            var address = in6_addr()
            guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
            let raw = withUnsafeBytes(of: &address) { Array($0) }
            bytes = raw.prefix(12) == Self.ipv4MappedPrefix ? Array(raw.suffix(4)) : raw
        }
    }

    /// From 4 (IPv4) or 16 (IPv6) bytes in network order.
    init(bytes: [UInt8]) {
        precondition(bytes.count == 4 || bytes.count == 16, "an IP address has 4 or 16 bytes")
        self.bytes = bytes
    }

    /// The first 12 bytes of an IPv4-mapped IPv6 address.
    private static let ipv4MappedPrefix: ArraySlice<UInt8> = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF][...]

    /// Whether this is an IPv4 address.
    public var isIPv4: Bool { bytes.count == 4 }

    /// The canonical text (`10.0.0.1`, `fe80::1`).
    public var description: String {
        let family = isIPv4 ? AF_INET : AF_INET6
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count))
        }
        guard written != nil else { return bytes.map(String.init).joined(separator: ".") }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
