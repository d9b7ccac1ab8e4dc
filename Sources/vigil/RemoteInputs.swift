import ArgumentParser
import Foundation
import VigilAWS
import VigilCore
import VigilSources

/// `--since`/`--until` and how objects are fetched: the options of inputs that are listed
/// (`s3://BUCKET/PREFIX`) rather than walked.
struct ListingOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Read only objects and files whose CloudTrail name or key dates them on or after this day (YYYY-MM-DD, UTC). For s3:// inputs the listing itself is narrowed: only these days are listed. Events inside the objects are not filtered.", valueName: "day"))
    var since: String?

    @Option(help: ArgumentHelp("Read only objects and files dated on or before this day (YYYY-MM-DD, UTC); see --since.", valueName: "day"))
    var until: String?

    @Option(name: .customLong("fetch-ahead"), help: ArgumentHelp("S3 objects fetched concurrently ahead of the one being read. Each waits whole in memory until read.", valueName: "n"))
    var fetchAhead: Int = 8

    func validate() throws {
        guard (1...64).contains(fetchAhead) else { throw ValidationError("--fetch-ahead must be 1…64") }
        _ = try days()
    }

    /// The day range, as days since the epoch; nil when neither bound is given.
    func days() throws -> ClosedRange<Int>? {
        guard since != nil || until != nil else { return nil }
        let lo = try since.map { try Self.day($0, "--since") } ?? Int.min / 2
        let hi = try until.map { try Self.day($0, "--until") } ?? Int.max / 2
        guard lo <= hi else { throw ValidationError("--since \(since!) is after --until \(until!)") }
        return lo...hi
    }

    static func day(_ s: String, _ flag: String) throws -> Int {
        let t = s.count == 10 ? EventTime.parse(s + "T00:00:00Z") : EventTime.parse(s)
        guard let t else { throw ValidationError("\(flag) \(s): expected a day as YYYY-MM-DD") }
        return Int(t >= 0 ? t / EventTime.day : (t - EventTime.day + 1) / EventTime.day)
    }
}

/// Turns command-line paths into inputs: `s3://` URLs are listed through one credential chain
/// and transport shared by all buckets; everything else is walked by ``InputPlanner``.
final class InputResolver {
    private(set) var stores: [S3Objects] = []
    private(set) var listCalls = 0
    private var provider: CredentialProvider?
    private var chain: CredentialChain?
    /// Made on first use: a URLSession costs a few MiB and a thread, which a replay of files never needs.
    private lazy var transport = HTTPTransport()

    static func isRemote(_ path: String) -> Bool { path.hasPrefix("s3://") }
    static func isQueue(_ path: String) -> Bool { path.hasPrefix("sqs://") }

    func expand(_ paths: [String], listing: ListingOptions?) throws -> [Input] {
        let days = try listing?.days()
        var out: [Input] = []
        for p in paths {
            if Self.isRemote(p) {
                guard let loc = S3Location(p) else { throw Failure.usage("\(p): expected s3://BUCKET/PREFIX") }
                let store = S3Objects(client: try s3Client(loc.bucket), depth: listing?.fetchAhead ?? 8)
                do {
                    let (inputs, calls) = try store.inputs(loc, days: days)
                    listCalls += calls
                    out += inputs
                } catch let e as AWSError {
                    throw SourceError.remote(p, reason: e.description)
                }
                stores.append(store)
            } else {
                out += try InputPlanner.expand([p]).filter { input in
                    guard let days, case .file(let f) = input, let t = InputPlanner.nameTimeMillis(f) else { return true }
                    return days.contains(Int(t / EventTime.day))
                }
            }
        }
        return out
    }

    /// A follower of `path` (`vigil tail s3://…`) and the store its objects are read through.
    func follow(_ path: String, listing: ListingOptions, fromStart: Bool) throws -> (S3Follower, S3Objects) {
        guard let loc = S3Location(path) else { throw Failure.usage("\(path): expected s3://BUCKET/PREFIX") }
        let store = S3Objects(client: try s3Client(loc.bucket), depth: listing.fetchAhead)
        stores.append(store)
        let since = try listing.days().map(\.lowerBound).flatMap { $0 > Int.min / 2 ? $0 : nil }
        return (S3Follower(client: store.client, location: loc, since: since, fromStart: fromStart), store)
    }

    /// The store of `bucket`'s objects, one per bucket for the run (a queue announces objects of
    /// any bucket it is told about).
    func store(bucket: String, depth: Int, keepFailures: Bool) throws -> S3Objects {
        if let s = stores.first(where: { $0.client.bucket == bucket }) { return s }
        let s = S3Objects(client: try s3Client(bucket), depth: depth)
        s.keepFailures = keepFailures
        stores.append(s)
        return s
    }

    /// The queue client for `sqs://NAME` or `sqs://HOST/ACCOUNT/NAME`.
    func queue(_ path: String) throws -> SQSClient {
        let rest = String(path.dropFirst("sqs://".count))
        guard !rest.isEmpty else { throw Failure.usage("\(path): expected sqs://QUEUE-NAME or sqs://sqs.REGION.amazonaws.com/ACCOUNT/NAME") }
        let queue = rest.contains("/") ? (rest.hasPrefix("http") ? rest : "https://" + rest) : rest
        let (chain, provider) = try credentials()
        do {
            return try SQSClient(queue: queue, chain: chain, credentials: provider, transport: transport)
        } catch let e as AWSConfigError {
            throw Failure.usage(e.description)
        } catch let e as AWSError {
            throw SourceError.remote(path, reason: e.description)
        }
    }

    /// List calls made by followers (added to the listing's own for `--stats`).
    func noteListCalls(_ n: Int) { listCalls += n }

    /// Starts fetching objects in the order the run will read them.
    func prefetch(_ plan: [Input]) {
        for s in stores { s.prefetch(plan) }
    }

    /// Counters for `--stats` (only when an s3:// input was given).
    /// `followerListCalls`: list calls of followers still running (not yet noted).
    func counters(now: Double = Date().timeIntervalSince1970, followerListCalls: Int = 0) -> [(String, Int64)] {
        guard !stores.isEmpty else { return [] }
        var listed = 0, read = 0, bytes: Int64 = 0, newest = Int64.min, requests = 0, retries = 0
        for s in stores {
            let st = s.stats
            listed += st.listed
            read += st.read
            bytes += st.bytes
            newest = max(newest, st.newestObjectTime)
            let c = s.client.client.stats
            requests += c.requests
            retries += c.retries
        }
        var out: [(String, Int64)] = [("s3_list_calls", Int64(listCalls + followerListCalls)), ("s3_objects_listed", Int64(listed)),
                                      ("s3_objects_read", Int64(read)), ("s3_bytes_read", bytes),
                                      ("s3_requests", Int64(requests)), ("s3_retries", Int64(retries))]
        if newest > Int64.min { out.append(("s3_lag_seconds", Int64(now) - newest / 1000)) }
        return out
    }

    private func s3Client(_ bucket: String) throws -> S3Client {
        let (chain, provider) = try credentials()
        do {
            return try S3Client(bucket: bucket, chain: chain, credentials: provider, transport: transport)
        } catch let e as AWSConfigError {
            throw Failure.usage(e.description)
        }
    }

    /// One credential chain for the run, from the environment and the shared files.
    private func credentials() throws -> (CredentialChain, CredentialProvider) {
        if let c = chain, let p = provider { return (c, p) }
        let env = ProcessInfo.processInfo.environment
        let files = CredentialChain.sharedFilePaths(env)
        let c = CredentialChain(environment: env, credentialsFile: try? String(contentsOfFile: files.credentials, encoding: .utf8),
                                configFile: try? String(contentsOfFile: files.config, encoding: .utf8))
        let p: CredentialProvider
        do {
            p = try CredentialProvider(chain: c, transport: transport)
        } catch let e as AWSConfigError {
            throw Failure.usage(e.description)
        }
        chain = c
        provider = p
        return (c, p)
    }
}
