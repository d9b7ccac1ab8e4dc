import Crypto

/// SHA-256 helpers for identities that must be stable across runs and machines
/// (event IDs of records without a native ID, alert IDs).
public enum Digest {
    /// Lower-case hex of SHA-256 over `bytes`, cut to `hexDigits` characters.
    public static func sha256Hex<C: Collection>(_ bytes: C, hexDigits: Int = 64) -> String where C.Element == UInt8 {
        let d = SHA256.hash(data: Array(bytes))
        var out = ""
        out.reserveCapacity(64)
        let hex: [Character] = Array("0123456789abcdef")
        for b in d {
            out.append(hex[Int(b >> 4)])
            out.append(hex[Int(b & 15)])
            if out.count >= hexDigits { break }
        }
        return String(out.prefix(hexDigits))
    }

    public static func sha256Hex(_ s: String, hexDigits: Int = 64) -> String {
        sha256Hex(Array(s.utf8), hexDigits: hexDigits)
    }
}
