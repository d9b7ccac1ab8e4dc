/// Event-time helpers: RFC 3339 parsing and formatting without Foundation, in milliseconds.
///
/// Why not `ISO8601DateFormatter`: it is slow on the hot path and allocates; CloudTrail time
/// strings have a fixed shape that a byte scan reads in a few nanoseconds.
public enum EventTime {
    public static let second: Int64 = 1_000
    public static let minute: Int64 = 60_000
    public static let hour: Int64 = 3_600_000
    public static let day: Int64 = 86_400_000

    /// Parses `YYYY-MM-DD(T| )HH:MM:SS[.fff…][Z|±HH:MM]` (no zone: UTC, as Panther writes it);
    /// returns ms since the epoch or `nil`.
    public static func parse(_ s: String) -> Int64? {
        var s = s
        return s.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    /// Byte-level form of ``parse(_:)-(String)``. O(length).
    public static func parse(_ b: UnsafeRawBufferPointer) -> Int64? {
        let n = b.count
        guard n >= 19 else { return nil }
        func d(_ i: Int) -> Int? {
            let c = b[i]
            return (c >= 48 && c <= 57) ? Int(c - 48) : nil
        }
        func num(_ i: Int, _ len: Int) -> Int? {
            var v = 0
            for k in i..<(i + len) { guard let x = d(k) else { return nil }; v = v * 10 + x }
            return v
        }
        guard let y = num(0, 4), b[4] == 45, let mo = num(5, 2), b[7] == 45, let da = num(8, 2),
              b[10] == 84 || b[10] == 116 || b[10] == 32,
              let h = num(11, 2), b[13] == 58, let mi = num(14, 2), b[16] == 58, let se = num(17, 2)
        else { return nil }
        guard (1...12).contains(mo), (1...31).contains(da), h < 24, mi < 60, se <= 60 else { return nil }
        var i = 19
        var ms = 0
        if i < n, b[i] == 46 {
            i += 1
            var digits = 0
            while i < n, let x = d(i) {
                if digits < 3 { ms = ms * 10 + x }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 3) { ms *= 10 }
        }
        var offsetMinutes = 0
        if i < n {
            let c = b[i]
            if c == 90 || c == 122 {
                i += 1
            } else if c == 43 || c == 45, i + 6 <= n, let oh = num(i + 1, 2), b[i + 3] == 58, let om = num(i + 4, 2) {
                offsetMinutes = (oh * 60 + om) * (c == 45 ? -1 : 1)
                i += 6
            } else {
                return nil
            }
        }
        guard i == n else { return nil }
        let days = daysFromCivil(y, mo, da)
        let secs = Int64(days) * 86_400 + Int64(h * 3600 + mi * 60 + se) - Int64(offsetMinutes * 60)
        return secs * 1000 + Int64(ms)
    }

    /// Formats ms since the epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ` (the alert schema's form).
    public static func format(_ t: Int64) -> String {
        let ms = Int(((t % 1000) + 1000) % 1000)
        let secs = (t - Int64(ms)) / 1000
        var days = secs / 86_400
        var rem = secs % 86_400
        if rem < 0 { rem += 86_400; days -= 1 }
        let (y, m, d) = civilFromDays(Int(days))
        func p(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return s.count >= w ? s : String(repeating: "0", count: w - s.count) + s
        }
        return "\(p(y, 4))-\(p(m, 2))-\(p(d, 2))T\(p(Int(rem / 3600), 2)):\(p(Int(rem % 3600 / 60), 2)):\(p(Int(rem % 60), 2)).\(p(ms, 3))Z"
    }

    /// Hour of day (0–23, UTC) of an event time.
    public static func hourOfDay(_ t: Int64) -> Int {
        Int(((t % day) + day) % day / hour)
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    public static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// Parses a duration such as `90s`, `15m`, `24h`, `7d` into milliseconds.
    public static func parseDuration(_ s: String) -> Int64? {
        guard let unit = s.last, let v = Int64(s.dropLast()), v >= 0 else { return nil }
        switch unit {
        case "s": return v * second
        case "m": return v * minute
        case "h": return v * hour
        case "d": return v * day
        default: return nil
        }
    }

    /// Human form of a span ("2 min", "7 days") for alert reasons.
    public static func describe(_ ms: Int64) -> String {
        if ms < minute { return "\(max(1, ms / second)) s" }
        if ms < hour { return "\(ms / minute) min" }
        if ms < 2 * day { return "\(ms / hour) h" }
        return "\(ms / day) days"
    }
}
