import Foundation

/// What an API call can do before anyone's history says what is usual: a prior per action, from
/// its category (credential minting, code execution on compute, logging changes…), else its
/// service and whether it writes, else its verb.
///
/// Why: on its first day Vigil knows nobody, and an isolation score over young baselines says
/// little — everything is new. A security engineer still knows that `ssm:SendCommand` or
/// `iam:CreateAccessKey` from an identity never seen before deserves a look and `s3:ListBuckets`
/// does not. The table is data (`Models/priors.json`, with its public sources and date) so it can be
/// read, reviewed and extended without a build; it is never learned from traffic.
public struct ActionPriors: Sendable {
    /// One high-impact family of calls.
    public struct Category: Sendable, Decodable, Equatable {
        public var id: String
        /// Plain words for reasons: "runs code or commands on compute".
        public var words: String
        public var prior: Double
        public var attack: [String]
        var actions: [String]
        var prefixes: [String]?
    }

    /// An action's prior and the category it comes from (nil: service, verb or default).
    public struct Prior: Sendable, Equatable {
        public var value: Double
        public var category: Int?

        public init(value: Double, category: Int? = nil) {
            self.value = value
            self.category = category
        }
    }

    public private(set) var categories: [Category] = []
    public private(set) var date = ""
    var exact: [String: Int] = [:]
    var prefixes: [(String, Int)] = []
    /// The same prefixes by their service (the part before `:`).
    var prefixesByService: [String: [(String, Int)]] = [:]
    var serviceWrite: [String: Double] = [:]
    var serviceRead: [String: Double] = [:]
    /// Longest verb first, so `Describe` is not taken for `Des…` of something else.
    var verbs: [(String, Double)] = []
    var defaultWrite = 0.0
    var defaultRead = 0.0

    /// No priors: every action 0 (the cold-start path is off).
    public static let none = ActionPriors()

    public init() {}

    /// The prior of `action` (`service:Operation`); `readOnly` as the record says, else read off
    /// the verb.
    public func prior(_ action: String, readOnly: Bool?) -> Prior {
        if let c = category(of: action) { return Prior(value: categories[c].prior, category: c) }
        guard let colon = action.firstIndex(of: ":") else { return Prior(value: readOnly == false ? defaultWrite : defaultRead) }
        let service = String(action[..<colon])
        let op = action[action.index(after: colon)...]
        let verb = verbs.first { op.hasPrefix($0.0) }
        let isRead = readOnly ?? (verb.map { $0.1 <= defaultRead } ?? false)
        if let s = (isRead ? serviceRead : serviceWrite)[service] { return Prior(value: s) }
        if let v = verb { return Prior(value: isRead ? min(v.1, defaultRead) : max(v.1, defaultWrite)) }
        return Prior(value: isRead ? defaultRead : defaultWrite)
    }

    /// The category of `action`, if any: one dictionary lookup, then the prefixes of its service
    /// (versioned names such as `lambda:UpdateFunctionCode20150331v2`). Cheap enough per event.
    public func category(of action: String) -> Int? {
        if let c = exact[action] { return c }
        guard !prefixes.isEmpty, let colon = action.utf8.firstIndex(of: UInt8(ascii: ":")),
              let candidates = prefixesByService[String(action[..<colon])] else { return nil }
        for (p, c) in candidates where action.hasPrefix(p) { return c }
        return nil
    }

    struct File: Decodable {
        var schema: String
        var date: String
        var provenance: [String]
        var categories: [Category]
        var services: [String: [String: Double]]?
        var verbs: [String: Double]?
        var defaults: [String: Double]?
    }

    /// Reads `Models/priors.json` (schema `vigil.priors/1`); throws ``ConfigError`` naming what is wrong.
    public static func load(json: [UInt8]) throws -> ActionPriors {
        let f: File
        do { f = try JSONDecoder().decode(File.self, from: Data(json)) } catch {
            throw ConfigError.invalid("priors file: \(error)")
        }
        guard f.schema == "vigil.priors/1" else { throw ConfigError.invalid("priors file: unsupported schema \(f.schema)") }
        guard !f.provenance.isEmpty, !f.date.isEmpty else { throw ConfigError.invalid("priors file: provenance and date are required") }
        var p = ActionPriors()
        p.date = f.date
        p.categories = f.categories
        for (i, c) in f.categories.enumerated() {
            guard c.prior >= 0, c.prior <= 1 else { throw ConfigError.invalid("priors file: \(c.id): prior must be in [0, 1]") }
            guard p.categories.firstIndex(where: { $0.id == c.id }) == i else { throw ConfigError.invalid("priors file: duplicate category \(c.id)") }
            for a in c.actions {
                if let other = p.exact[a] { throw ConfigError.invalid("priors file: \(a) is in both \(f.categories[other].id) and \(c.id)") }
                p.exact[a] = i
            }
            for x in c.prefixes ?? [] { p.prefixes.append((x, i)) }
        }
        p.prefixes.sort { $0.0.count != $1.0.count ? $0.0.count > $1.0.count : $0.0 < $1.0 }
        for (x, c) in p.prefixes {
            let service = x.split(separator: ":", maxSplits: 1).first.map(String.init) ?? x
            p.prefixesByService[service, default: []].append((x, c))
        }
        p.serviceWrite = f.services?["write"] ?? [:]
        p.serviceRead = f.services?["read"] ?? [:]
        p.verbs = (f.verbs ?? [:]).sorted { $0.key.count != $1.key.count ? $0.key.count > $1.key.count : $0.key < $1.key }.map { ($0.key, $0.value) }
        p.defaultWrite = f.defaults?["write"] ?? 0.4
        p.defaultRead = f.defaults?["read"] ?? 0.1
        return p
    }
}
