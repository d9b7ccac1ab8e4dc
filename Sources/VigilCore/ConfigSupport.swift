/// A configuration or model file that cannot be used (the CLI exits 2).
public enum ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalid(String)
    case unknownKeys([String])

    public var description: String {
        switch self {
        case .invalid(let s): return s
        case .unknownKeys(let k): return "unknown key(s): \(k.joined(separator: ", "))"
        }
    }
}

/// Any string key, for reading the keys actually present in a container.
public struct AnyCodingKey: CodingKey {
    public var stringValue: String
    public var intValue: Int?
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { self.stringValue = String(intValue); self.intValue = intValue }
}

/// Config types reject unknown keys so a typo in a model or config file is an error, not a default.
public enum UnknownKeys {
    public static func reject<K: CodingKey & CaseIterable>(_ decoder: Decoder, known: K.Type) throws {
        let c = try decoder.container(keyedBy: AnyCodingKey.self)
        let knownNames = Set(K.allCases.map(\.stringValue))
        let extra = c.allKeys.map(\.stringValue).filter { !knownNames.contains($0) }.sorted()
        if !extra.isEmpty { throw ConfigError.unknownKeys(extra) }
    }
}
