/// Minimal, exact JSON text writing for outputs whose key order is part of a contract
/// (`vigil.alert/1`). Foundation's encoders do not promise key order, so writers build text here.
public enum JSONText {
    /// Appends `s` as a JSON string literal (quotes included), escaping control characters,
    /// quotes, backslashes and the line separators U+2028/U+2029 that break some JS consumers.
    public static func appendString(_ s: String, to out: inout String) {
        out.append("\"")
        // Most text needs no escape: append it whole. (0xE2 leads U+2028/U+2029; such text, and
        // any with quotes, backslashes or control bytes, takes the scalar loop below.)
        if !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F || $0 == 0xE2 }) {
            out.append(s)
            out.append("\"")
            return
        }
        for u in s.unicodeScalars {
            switch u {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            case "\u{2028}": out.append("\\u2028")
            case "\u{2029}": out.append("\\u2029")
            default:
                if u.value < 0x20 || u.value == 0x7f {
                    let hex = String(u.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out.append("\"")
    }

    public static func quoted(_ s: String) -> String {
        var o = ""
        appendString(s, to: &o)
        return o
    }

    /// Fixed-decimal rendering (`0.8123`) that never prints exponents or locale separators.
    public static func fixed(_ v: Double, digits: Int) -> String {
        guard v.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let r = (v * scale).rounded()
        let neg = r < 0
        let iv = Int64(abs(r))
        let p = Int64(scale)
        let whole = iv / p
        var frac = String(iv % p)
        if frac.count < digits { frac = String(repeating: "0", count: digits - frac.count) + frac }
        return (neg && iv != 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + frac : "")
    }

    /// A number for reasons: integers without a decimal point, others with up to 3 decimals.
    public static func number(_ v: Double) -> String {
        if v.isFinite, v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        var s = fixed(v, digits: 3)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}
