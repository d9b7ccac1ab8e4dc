/// Escaping for text placed in HTML, in element content and in double-quoted attributes.
///
/// Why every field goes through it: user agents, bucket names, role session names and error
/// messages are chosen by whoever made the request, so a log line is attacker-controlled. Escaping
/// `& < > " '` makes any of it render as text; nothing from logs is ever placed in a script, a
/// style, a URL or an unquoted attribute.
public enum HTML {
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\u{0}"..."\u{8}", "\u{B}", "\u{C}", "\u{E}"..."\u{1F}", "\u{7F}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }
}
