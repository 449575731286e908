/// A block of IPv4 or IPv6 addresses in CIDR notation (`10.0.0.0/8`, `fd00::/8`, or a single
/// address, which is a `/32` or `/128`). Used by the HTTP tunnel's allow-list.
public struct CIDRBlock: Sendable, Hashable, CustomStringConvertible {
    /// The first address of the block (host bits cleared).
    public let network: IPAddress
    /// How many leading bits are fixed: `0...32` for IPv4, `0...128` for IPv6.
    public let prefixLength: Int

    /// Parses `address/prefix` or a bare address; `nil` when malformed or the prefix is out of
    /// range for the address family. Host bits set in the address are cleared (`10.1.2.3/8` is
    /// `10.0.0.0/8`).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else { return nil }
        // The prefix counts bits of the address as written: 128 for any IPv6 spelling.
        let writtenAsIPv6 = parts[0].contains(":")
        let maximum = writtenAsIPv6 ? 128 : 32
        let length: Int
        if parts.count == 2 {
            guard let parsed = Int(parts[1]), (0...maximum).contains(parsed), !parts[1].hasPrefix("+") else { return nil }
            length = parsed
        } else {
            length = maximum
        }
        // An IPv4-mapped IPv6 block (`::ffff:10.0.0.0/104`) is the IPv4 block it maps.
        if address.isIPv4, writtenAsIPv6 {
            guard length >= 96 else { return nil }
            self.init(address: address, prefixLength: length - 96)
        } else {
            self.init(address: address, prefixLength: length)
        }
    }

    private init(address: IPAddress, prefixLength: Int) {
        self.prefixLength = prefixLength
        self.network = IPAddress(masking: address, to: prefixLength)
    }

    /// Whether `address` lies in this block (addresses of the other family never do).
    public func contains(_ address: IPAddress) -> Bool {
        address.bytes.count == network.bytes.count && IPAddress(masking: address, to: prefixLength) == network
    }

    public var description: String { "\(network)/\(prefixLength)" }
}

extension IPAddress {
    /// `address` with every bit after the first `prefixLength` cleared.
    fileprivate init(masking address: IPAddress, to prefixLength: Int) {
        let masked = address.bytes.enumerated().map { index, byte -> UInt8 in
            let fixedBits = min(8, max(0, prefixLength - index * 8))
            return fixedBits == 8 ? byte : byte & ~(UInt8.max >> fixedBits)
        }
        self = IPAddress(bytes: masked)
    }
}
