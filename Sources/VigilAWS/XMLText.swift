/// Just enough XML for AWS's answers (S3 listings, STS credentials, error documents): the text of
/// elements by name, in document order, entities decoded.
///
/// Why not `XMLParser`: on Linux it lives in FoundationXML and pulls libxml2 into the binary for
/// documents whose shape is fixed and flat. Elements are found by their literal tags, so this is
/// only for AWS's own documents (no namespaces prefixes, no CDATA), never for arbitrary XML.
enum XMLText {
    /// The inner text of every `<tag>…</tag>` in `xml`, in order.
    static func all(_ tag: String, in xml: Substring) -> [Substring] {
        let open = "<\(tag)>", close = "</\(tag)>"
        var out: [Substring] = []
        var rest = xml[...]
        while let a = rest.range(of: open) {
            guard let b = rest[a.upperBound...].range(of: close) else { break }
            out.append(rest[a.upperBound..<b.lowerBound])
            rest = rest[b.upperBound...]
        }
        return out
    }

    static func first(_ tag: String, in xml: Substring) -> Substring? {
        let open = "<\(tag)>", close = "</\(tag)>"
        guard let a = xml.range(of: open), let b = xml[a.upperBound...].range(of: close) else { return nil }
        return xml[a.upperBound..<b.lowerBound]
    }

    /// `first` with entities decoded.
    static func value(_ tag: String, in xml: Substring) -> String? { first(tag, in: xml).map(decode) }

    /// `&lt; &gt; &amp; &quot; &apos;` and numeric references.
    static func decode(_ s: Substring) -> String {
        guard s.contains("&") else { return String(s) }
        var out = ""
        var i = s.startIndex
        while i < s.endIndex {
            if s[i] == "&", let semi = s[i...].firstIndex(of: ";"), s.distance(from: i, to: semi) <= 10 {
                let name = s[s.index(after: i)..<semi]
                var scalar: Unicode.Scalar?
                switch name {
                case "lt": scalar = "<"
                case "gt": scalar = ">"
                case "amp": scalar = "&"
                case "quot": scalar = "\""
                case "apos": scalar = "'"
                default:
                    if name.hasPrefix("#x") { scalar = UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init) }
                    else if name.hasPrefix("#") { scalar = UInt32(name.dropFirst(), radix: 10).flatMap(Unicode.Scalar.init) }
                }
                if let c = scalar {
                    out.unicodeScalars.append(c)
                    i = s.index(after: semi)
                    continue
                }
            }
            out.append(s[i])
            i = s.index(after: i)
        }
        return out
    }
}
