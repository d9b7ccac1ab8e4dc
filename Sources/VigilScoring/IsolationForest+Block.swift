// Scoring a table's rows a block at a time: the same scores as scoring and learning row by row,
// with the walks done tree by tree and shared over threads.

extension IsolationForest {
    /// Rows per block: enough to keep a tree's records in cache across many walks and to share
    /// the walking out at little cost, few enough that the trees rebuilt inside a block (one per
    /// `period` rows, ~41 with the defaults) cost little to walk again: 64 rows re-walk about 1.6 %
    /// of the walks, where 256 re-walked 6 % and lost a single thread 5 % against row by row.
    static let blockRows = 64

    /// Scores each of the `count` rows of `rows` (row-major, `dimensions` columns) and then learns
    /// it, in order, appending the scores: bit for bit what `score` then `learn` row by row gives.
    ///
    /// How: per block, every tree is walked for every row against the forest as it stood at the
    /// block's start, one tree at a time across the rows, the trees shared over `pool`'s threads.
    /// Then, row by row, only the trees rebuilt since the block started are walked again, the
    /// paths are added in tree order (as ``score(_:)`` adds them), and the row is learned. A tree's
    /// path depends on the tree and the row alone, so the result does not depend on the threads.
    public mutating func scoreThenLearn(_ rows: [Double], count: Int, pool: TreeWalkPool?, into scores: inout [Double]) {
        precondition(rows.count >= count * dimensions, "\(rows.count) values hold fewer than \(count) rows of \(dimensions)")
        let trees = config.trees
        var paths = [Double](repeating: 0, count: Self.blockRows * trees)
        var x = [Double](repeating: 0, count: dimensions)
        var start = 0
        while start < count {
            let n = min(Self.blockRows, count - start)
            let walkedAtStart = canScore
            let buildsAtStart = (0..<trees).map { build(of: $0) }
            if walkedAtStart { walkBlock(rows, from: start, count: n, into: &paths, pool: pool) }
            for r in 0..<n {
                let row = (start + r) * dimensions
                for i in 0..<dimensions { x[i] = rows[row + i] }
                if canScore {
                    var total = 0.0
                    for t in 0..<trees {
                        if !walkedAtStart || build(of: t) != buildsAtStart[t] { paths[r * trees + t] = storage.treePath(x, tree: t) }
                        total += paths[r * trees + t]
                    }
                    scores.append(normalise(total / Double(trees)))
                } else {
                    scores.append(0)
                }
                learn(x)
            }
            start += n
        }
    }

    /// Every tree's path of rows `from ..< from + count` into `paths[r · trees + t]`, tree by tree.
    private func walkBlock(_ rows: [Double], from: Int, count: Int, into paths: inout [Double], pool: TreeWalkPool?) {
        let trees = storage.built
        rows.withUnsafeBufferPointer { rp in
            paths.withUnsafeMutableBufferPointer { pp in
                storage.withQueries(rp.baseAddress! + from * dimensions, count: count) { view, queries in
                    let out = pp.baseAddress!
                    let shares = pool?.walkers ?? 1
                    let walk = { (k: Int) in
                        for t in TreeWalkPool.share(k, of: shares, trees: trees) {
                            view.lockstepRows(tree: t, queries, count: count, into: out, pathStride: trees)
                        }
                    }
                    if let pool, shares > 1 { pool.forEachShare(walk) } else { walk(0) }
                }
            }
        }
    }
}
