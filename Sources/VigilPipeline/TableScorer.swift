import VigilCore
import VigilFraming
import VigilScoring
import VigilSources
#if canImport(Glibc)
import Glibc
#endif

/// Runs the log pipeline's isolation core alone over a numeric table (`vigil score --csv`), so it can
/// be measured on published outlier benchmarks: score each row, then learn it, in order.
public enum TableScorer {
    public struct Options: Sendable {
        public var labelColumn = "label"
        /// Shuffle rows with this seed before scoring (SplitMix64 Fisher–Yates); nil keeps file order.
        public var shuffle: UInt64?
        public var isolation = IsolationConfig()
        /// Threads walking each row's trees (the caller and `threads − 1` helpers, at most one per
        /// processor); the scores do not depend on it.
        public var threads = 1
        public init() {}
    }

    public struct Report: Sendable {
        public var rows = 0
        public var badRows = 0
        public var dims = 0
        public var outliers = 0
        public var auroc: Double?
        public var auprc: Double?
        public var loadSeconds = 0.0
        public var seconds = 0.0
        public var driftMax: [Double] = []
        public var scores: [Double] = []

        public func jsonLine(config: IsolationConfig, order: String) -> String {
            var o = "{\"rows\":\(rows),\"dims\":\(dims),\"outliers\":\(outliers),\"order\":\(JSONText.quoted(order))"
            if let a = auroc { o += ",\"auroc\":" + JSONText.fixed(a, digits: 4) }
            if let p = auprc { o += ",\"auprc\":" + JSONText.fixed(p, digits: 4) }
            o += ",\"seconds\":" + JSONText.fixed(seconds, digits: 3)
            o += ",\"rows_per_s\":\(seconds > 0 ? Int(Double(rows) / seconds) : 0)"
            o += ",\"load_seconds\":" + JSONText.fixed(loadSeconds, digits: 3) + ",\"bad_rows\":\(badRows)"
            o += ",\"trees\":\(config.trees),\"sample_size\":\(config.sampleSize),\"window\":\(config.window),\"seed\":\(config.seed)"
            o += ",\"rank_cuts\":" + JSONText.fixed(config.rankCuts, digits: 3) + ",\"kurtosis_weight\":" + JSONText.fixed(config.kurtosisWeight, digits: 3)
            o += ",\"warmup\":\(config.warmup)"
            o += ",\"drift_ks_max\":[" + driftMax.map { JSONText.fixed($0, digits: 3) }.joined(separator: ",") + "]}"
            return o
        }
    }

    /// Scores the table. In file order the rows stream through in blocks of 4,096 (memory: the
    /// scores, labels and one block); with `shuffle` the table is loaded first. `seconds` times only
    /// the score-and-learn work; reading and parsing are `loadSeconds`.
    public static func run(path: String, options: Options) throws -> Report {
        var report = Report()
        let t0 = now()
        var forest: IsolationForest?
        var drift: DriftMonitor?
        var scores: [Double] = []
        var labels: [Bool] = []
        var scoring = 0.0
        let pool = TreeWalkPool.forThreads(options.threads)
        func score(_ rows: [Double], _ blockLabels: [Bool], dims: Int) {
            let t = now()
            if forest == nil {
                forest = IsolationForest(dimensions: dims, config: options.isolation)
                drift = DriftMonitor(dims: dims)
            }
            forest!.scoreThenLearn(rows, count: blockLabels.count, pool: pool, into: &scores)
            var x = [Double](repeating: 0, count: dims)
            for r in 0..<blockLabels.count {
                for f in 0..<dims { x[f] = rows[r * dims + f] }
                _ = drift!.observe(x)
            }
            labels += blockLabels
            scoring += now() - t
        }
        if let seed = options.shuffle {
            var (rows, all, dims) = ([Double](), [Bool](), 0)
            dims = try forEachBlock(path, options.labelColumn, blockRows: Int.max, &report) { r, l, _ in rows += r; all += l }
            var rng = SplitMix64(seed: seed)
            var order = Array(0..<all.count)
            if order.count > 1 {
                for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
            }
            var shuffled = [Double](repeating: 0, count: rows.count)
            for (to, from) in order.enumerated() {
                for f in 0..<dims { shuffled[to * dims + f] = rows[from * dims + f] }
            }
            score(shuffled, order.map { all[$0] }, dims: dims)
            report.dims = dims
        } else {
            report.dims = try forEachBlock(path, options.labelColumn, blockRows: 4096, &report) { r, l, d in score(r, l, dims: d) }
        }
        report.seconds = scoring
        report.loadSeconds = now() - t0 - scoring
        report.rows = labels.count
        report.outliers = labels.filter { $0 }.count
        report.auroc = Metrics.auroc(scores: scores, labels: labels)
        report.auprc = Metrics.averagePrecision(scores: scores, labels: labels)
        report.driftMax = drift?.largest ?? []
        report.scores = scores
        return report
    }

    /// Reads a CSV with a header (plain, gzip or zstd); every column but the label is a feature.
    /// Hands rows to `body` in blocks of `blockRows` (row-major values, labels, dims); returns dims.
    static func forEachBlock(_ path: String, _ labelColumn: String, blockRows: Int, _ report: inout Report,
                             _ body: ([Double], [Bool], Int) -> Void) throws -> Int {
        let decoder = StreamDecoder()
        var splitter = LineSplitter()
        var header: [String]?
        var labelIndex = -1
        var rows: [Double] = []
        var labels: [Bool] = []
        var dims = 0
        var failure: Error?
        func handle(_ piece: LineSplitter.Piece) {
            guard failure == nil else { return }
            switch piece {
            case .tooLong: report.badRows += 1
            case .line(let b, _, _):
                if b.isEmpty { return }
                let text = String(decoding: b, as: UTF8.self)
                let fields = text.split(separator: ",", omittingEmptySubsequences: false)
                guard let h = header else {
                    header = fields.map { $0.trimming(" \"") }
                    labelIndex = header!.firstIndex(of: labelColumn) ?? -1
                    dims = header!.count - (labelIndex >= 0 ? 1 : 0)
                    if dims == 0 { failure = ConfigError.invalid("\(path): no feature columns") }
                    if labelIndex < 0 && labelColumn != "label" { failure = ConfigError.invalid("\(path): no column named \(labelColumn)") }
                    return
                }
                guard fields.count == h.count else { report.badRows += 1; return }
                var row: [Double] = []
                row.reserveCapacity(dims)
                var label = false
                for (i, field) in fields.enumerated() {
                    guard let v = Double(field.trimming(" ")), v.isFinite else { report.badRows += 1; return }
                    if i == labelIndex { label = v != 0 } else { row.append(v) }
                }
                rows.append(contentsOf: row)
                labels.append(label)
                if labels.count >= blockRows {
                    body(rows, labels, dims)
                    rows.removeAll(keepingCapacity: true)
                    labels.removeAll(keepingCapacity: true)
                }
            }
        }
        try ChunkReader.read(path == "-" ? .stdin : .file(path)) { chunk, final in
            try decoder.decode(chunk, final: final) { splitter.push($0, emit: handle) }
            if final { splitter.finish(emit: handle) }
        }
        if let f = failure { throw f }
        guard header != nil else { throw ConfigError.invalid("\(path): empty table") }
        if !labels.isEmpty { body(rows, labels, dims) }
        return dims
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

extension Substring {
    /// The substring without leading and trailing characters from `set`.
    func trimming(_ set: String) -> String {
        var s = self[...]
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
