import Foundation
import VigilCore
import VigilDetection

/// `Models/sigma/logsources.json`: which Vigil records a Sigma logsource stands for and how its
/// rules' field names map onto record paths — Vigil's counterpart of a pySigma processing pipeline.
///
/// Why data: field names differ by backend (Sigma's Azure rules use Log Analytics columns, its GCP
/// rules Elastic's `gcp.audit.*` names); users whose records come in another shape edit the file,
/// not the code.
public struct SigmaLogsources: Decodable, Sendable {
    public var version: Int
    public var logsources: [Entry]

    /// One logsource (`product`, `service`, optional `category`) and its mapping.
    public struct Entry: Decodable, Sendable {
        public var product: String?
        public var service: String?
        public var category: String?
        /// A Vigil format name, or null when Vigil has no records for this logsource.
        public var format: String?
        /// Values of the record's `category` that belong to this logsource (empty: all).
        public var categories: [String]?
        /// The logsource is the records whose category is *not* in `categories`.
        public var excludeCategories: Bool?
        /// Compare record keys ignoring ASCII case.
        public var caseInsensitiveKeys: Bool?
        /// Where an unmapped field is also looked for, after its own path (e.g. `properties.`).
        public var fallbackPrefixes: [String]?
        /// Prefixes removed from field names first (`data.` of a LogEntry wrapped under `data`).
        public var stripPrefixes: [String]?
        /// Field name → record paths, tried in order.
        public var fields: [String: [String]]?

        /// The record paths of a field named by a rule of this logsource.
        func paths(_ field: String) -> [SigmaPath] {
            var f = field
            for p in stripPrefixes ?? [] where f.hasPrefix(p) { f = String(f.dropFirst(p.count)) }
            let ci = caseInsensitiveKeys ?? false
            if let mapped = fields?[f] { return mapped.map { SigmaPath($0, caseInsensitive: ci) } }
            return ([f] + (fallbackPrefixes ?? []).map { $0 + f }).map { SigmaPath($0, caseInsensitive: ci) }
        }

        func sources() throws -> [SigmaSource] {
            guard let name = format else { return [] }
            guard let f = SourceFormat(rawValue: name) else { throw ConfigError.invalid("sigma logsources: unknown format \(name)") }
            return [SigmaSource(format: f, categories: Set((categories ?? []).map { $0.lowercased() }),
                                excludeCategories: excludeCategories ?? false)]
        }
    }

    public static func load(json: Data) throws -> SigmaLogsources {
        let m: SigmaLogsources
        do { m = try JSONDecoder().decode(SigmaLogsources.self, from: json) } catch {
            throw ConfigError.invalid("sigma logsources: \(error)")
        }
        guard m.version == 1 else { throw ConfigError.invalid("sigma logsources: unsupported version \(m.version)") }
        for e in m.logsources { _ = try e.sources() }
        return m
    }

    /// The entry for a rule's logsource: product, service and category must agree where the rule
    /// names them (case-insensitively).
    func entry(product: String?, service: String?, category: String?) -> Entry? {
        func same(_ a: String?, _ b: String?) -> Bool { a?.lowercased() == b?.lowercased() }
        return logsources.first { e in
            (product == nil || same(e.product, product)) && (service == nil || same(e.service, service))
                && (category == nil || same(e.category, category)) && (product != nil || service != nil || category != nil)
        }
    }
}
