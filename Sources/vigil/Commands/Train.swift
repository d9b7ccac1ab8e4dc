import ArgumentParser
import Foundation
import VigilState

/// `vigil train`: learn baselines and the isolation model from history, write a snapshot.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Warm baselines and the model from history and write a zstd snapshot.",
        discussion: """
        No alerts are produced while training. 'vigil replay --model MODEL' then starts warm and keeps learning. With --model, training continues from an earlier snapshot.

        Example:
          vigil train --out Models/org.vigil.zst archive/2024-04/
          vigil replay --model Models/org.vigil.zst archive/2024-05/
        """
    )

    @OptionGroup var engine: EngineOptions

    @Option(help: ArgumentHelp("Where to write the model snapshot (zstd-compressed).", valueName: "path"))
    var out: String

    @Argument(help: ArgumentHelp("Files, directories, or '-' for stdin.", valueName: "path"))
    var paths: [String]

    func run() throws {
        let e = try engine.makeEngine()
        e.detecting = false
        try engine.run(e, paths: paths) { _ in }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = try encoder.encode(e.snapshot())
        try SnapshotFile.write(Array(bytes), to: out)
        if !engine.quiet {
            FileHandle.standardError.write(Data("vigil: model written to \(out) (\(e.stats.principals) principals)\n".utf8))
        }
    }
}
