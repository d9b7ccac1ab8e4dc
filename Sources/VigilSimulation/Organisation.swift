/// The simulated organisation's resources: the nouns the calls act on.
struct Organisation {
    let account = "123456789012"
    var buckets: [String] = []
    var sensitiveBuckets = ["finance-exports", "customer-pii-archive", "hr-payroll-2026"]
    var instances: [String] = []
    var functions: [String] = []
    var secrets: [String] = []
    var tables: [String] = []
    var parameters: [String] = []
    var volumes: [String] = []
    var officeNets = ["198.51.100", "192.0.2", "203.0.113"]

    init(rng: inout SimRandom) {
        let teams = ["web", "api", "data", "ml", "billing", "search", "auth", "mobile"]
        for t in teams {
            buckets.append("acme-\(t)-artifacts")
            buckets.append("acme-\(t)-logs")
            functions.append("\(t)-handler")
            functions.append("\(t)-worker")
            tables.append("\(t)-state")
            secrets.append("prod/\(t)/db-password")
            secrets.append("prod/\(t)/api-key")
            parameters.append("/prod/\(t)/config")
        }
        buckets += ["acme-datalake-raw", "acme-datalake-curated", "acme-athena-results"]
        for _ in 0..<60 { instances.append("i-0" + rng.hex(16)) }
        for _ in 0..<60 { volumes.append("vol-0" + rng.hex(16)) }
    }

    func bucketARN(_ b: String, key: String? = nil) -> String {
        key.map { "arn:aws:s3:::\(b)/\($0)" } ?? "arn:aws:s3:::\(b)"
    }
}
