import ArgumentParser
import Foundation
import VigilCore
import VigilPipeline
import VigilResponders
import VigilScoring

/// `vigil score`: the isolation core alone on a numeric table, for outlier benchmarks.
struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score a numeric CSV with the isolation core (score, then learn, row by row).",
        discussion: """
        Streams the rows of a CSV with a header (plain, gzip or zstd) through the same isolation core the log pipeline uses, with the same defaults: each row is scored, then learned. Prints one JSON object: rows, dims, outliers, auroc and auprc (when a label column exists; label 1 = outlier), seconds and rows_per_s of the score-and-learn loop (loading is reported apart as load_seconds), the core parameters, and per feature the largest Kolmogorov-Smirnov drift statistic between the reference and live windows.

        Examples:
          vigil score --csv ../shared/datasets/outliers/shuttle.csv.zst
          vigil score --csv data.csv --label-column is_anomaly --shuffle 1 --scores-out scores.txt
        """
    )

    @Option(help: ArgumentHelp("The table: CSV with a header row; .gz/.zst recognised by content.", valueName: "file"))
    var csv: String

    @Option(name: .customLong("label-column"), help: ArgumentHelp("Column holding the ground truth (1 = outlier); not used as a feature.", valueName: "name"))
    var labelColumn: String = "label"

    @Option(help: ArgumentHelp("Shuffle the rows with this seed before scoring (default: file order).", valueName: "seed"))
    var shuffle: UInt64?

    @Option(name: .customLong("scores-out"), help: ArgumentHelp("Write each row's score, one per line, in scoring order.", valueName: "path"))
    var scoresOut: String?

    @Option(help: "Trees in the forest (default 50, as in the log pipeline).")
    var trees: Int = IsolationConfig().trees

    @Option(name: .customLong("sample-size"), help: "Points each tree is built from, ψ (default 256); tree height ⌈log2 ψ⌉.")
    var sampleSize: Int = IsolationConfig().sampleSize

    @Option(help: "Recent points kept to sample trees from (default 2048); one tree is rebuilt every window/trees points.")
    var window: Int = IsolationConfig().window

    @Option(help: "Seed of the forest (default 1).")
    var seed: UInt64 = 1

    @Option(name: .customLong("rank-cuts"), help: ArgumentHelp("Share of cuts drawn among the gaps between distinct values instead of over the value range (default 0.333; 0 = classic isolation forest cuts).", valueName: "share"))
    var rankCuts: Double = IsolationConfig().rankCuts

    @Option(name: .customLong("kurtosis-weight"), help: ArgumentHelp("How strongly trees prefer heavy-tailed features: weight 1 + k·ln(1 + kurtosis) (default 1; 0 = uniform).", valueName: "k"))
    var kurtosisWeight: Double = IsolationConfig().kurtosisWeight

    @Option(help: ArgumentHelp("Threads walking the trees (default 2; at most one per processor online): rows are scored in blocks of 64 against the forest as it stood at the block's start, one tree at a time across the block, the trees shared among the threads; trees rebuilt inside a block are walked again row by row. Scores are identical for any n.", valueName: "n"))
    var threads: Int = 2

    @Option(help: ArgumentHelp("Provisional trees at this many rows and each doubling until --sample-size, so the first rows are scored (default 8; 0 = first rows score 0).", valueName: "rows"))
    var warmup: Int = IsolationConfig().warmup

    func run() throws {
        var options = TableScorer.Options()
        options.threads = threads
        options.labelColumn = labelColumn
        options.shuffle = shuffle
        options.isolation.trees = trees
        options.isolation.sampleSize = sampleSize
        options.isolation.window = window
        options.isolation.seed = seed
        options.isolation.rankCuts = rankCuts
        options.isolation.kurtosisWeight = kurtosisWeight
        options.isolation.warmup = warmup
        do { try options.isolation.validate() } catch { throw Failure.usage("\(error)") }
        guard (1...64).contains(threads) else { throw Failure.usage("--threads must be 1…64") }
        guard FileManager.default.fileExists(atPath: csv) || csv == "-" else {
            throw Failure(code: Exit.input, message: "input not found: \(csv)")
        }
        let report = try TableScorer.run(path: csv, options: options)
        if let p = scoresOut {
            let w = try LineWriter(path: p)
            for s in report.scores { try w.write(JSONText.fixed(s, digits: 6)) }
            try w.flush()
        }
        print(report.jsonLine(config: options.isolation, order: shuffle.map { "shuffled:\($0)" } ?? "stored"))
    }
}
