// Walking a ``ForestStorage``'s trees: the lockstep walk that scores, the single walk that also
// attributes, and the box test both share.

/// What a walk reads: the records' geometry and their memory, without reference counting, so any
/// thread can walk the trees through it (``TreeWalkPool``) while the storage that made it is alive
/// and unchanged (``ForestStorage/withQuery(_:_:)``).
struct ForestView: @unchecked Sendable {
    let dims: Int
    let stride: Int
    let capacity: Int
    let nodeWords: Int
    let raw: UnsafeRawPointer
    let splitOffset: Int
    let rightOffset: Int
    let featureOffset: Int
    let sizeOffset: Int

    /// The child a walk goes on to, chosen with a mask. Why not `goLeft ? left : right`: the compiler
    /// makes that a branch, which the processor guesses wrong half the time (a fifth slower walks).
    @inline(__always) static func child(left: Int, right: Int, goLeft: Bool) -> Int {
        let toRight = 0 &- Int(truncatingIfNeeded: (goLeft ? 0 : 1) as UInt8)
        return (left & ~toRight) | (right & toRight)
    }

    /// A node's feature, right child or point count (stored as ``NodeLayout/fieldMask`` flips them).
    @inline(__always) func field(_ node: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        node.load(fromByteOffset: offset &* 4, as: UInt32.self) ^ NodeLayout.fieldMask
    }

    init(_ s: ForestStorage) {
        (dims, stride, capacity, nodeWords) = (s.dims, s.stride, s.capacity, s.nodeWords)
        raw = UnsafeRawPointer(s.block.base)
        (splitOffset, rightOffset, featureOffset, sizeOffset) = (s.splitOffset, s.rightOffset, s.featureOffset, s.sizeOffset)
    }

    /// Trees walked side by side, `lockstepWidth` at a time, one level per round.
    ///
    /// Why: a walk is a chain of dependent loads (the next node is known only once this one is
    /// read), and the forest is larger than the L2 cache, so one walk at a time waits on memory at
    /// almost every node. Walks of different trees are independent: stepping several in one loop lets
    /// the processor overlap their loads. The arithmetic per tree is exactly that of ``walk`` and the
    /// per-tree results are added in tree order, so the total is bit-for-bit the same.
    @inline(__always)
    func lockstep(trees: Range<Int>, _ q: ForestQuery, paths: UnsafeMutableBufferPointer<Double>? = nil) -> Double {
        let width = Self.lockstepWidth
        return withUnsafeTemporaryAllocation(of: LockstepWalk.self, capacity: width) { walks in
            var total = 0.0
            var first = trees.lowerBound
            // Groups of equal size (25 trees: 9, 8, 8, not 10, 10, 5), so no group walks with
            // few loads in flight.
            let groups = (trees.count + width - 1) / width
            var group = 0
            while first < trees.upperBound {
                let count = trees.count / groups + (group < trees.count % groups ? 1 : 0)
                group += 1
                for j in 0..<count { walks[j] = LockstepWalk(node: (first + j) * capacity) }
                var running = count
                while running > 0 {
                    running = 0
                    for j in 0..<count where !walks[j].done {
                        step(&walks[j], q)
                        if !walks[j].done { running += 1 }
                    }
                }
                for j in 0..<count {
                    total += walks[j].result
                    paths?[first + j] = walks[j].result
                }
                first += count
            }
            return total
        }
    }

    /// Tree `t`'s expected path length of each of `count` queries into `paths[r · pathStride + t]`:
    /// the queries walked side by side through the one tree, `lockstepWidth` at a time (one tree's
    /// records stay in cache for the whole block). Per query, exactly ``lockstep(trees:_:paths:)``'s
    /// arithmetic.
    func lockstepRows(tree t: Int, _ queries: UnsafePointer<ForestQuery>, count: Int,
                      into paths: UnsafeMutablePointer<Double>, pathStride: Int) {
        let width = Self.lockstepWidth
        withUnsafeTemporaryAllocation(of: LockstepWalk.self, capacity: width) { walks in
            var first = 0
            while first < count {
                let n = min(width, count - first)
                for j in 0..<n { walks[j] = LockstepWalk(node: t * capacity) }
                var running = n
                while running > 0 {
                    running = 0
                    for j in 0..<n where !walks[j].done {
                        step(&walks[j], queries[first + j])
                        if !walks[j].done { running += 1 }
                    }
                }
                for j in 0..<n { paths[(first + j) * pathStride + t] = walks[j].result }
                first += n
            }
        }
    }

    /// Trees per lockstep group: enough independent loads in flight, few enough to stay in registers
    /// and L1.
    static let lockstepWidth = 10

    /// One level of ``walk`` without attribution; sets `done` and `result` at the end of the path.
    @inline(__always)
    private func step(_ w: inout LockstepWalk, _ q: ForestQuery) {
        let node = raw + w.node &* (nodeWords &* 4)
        let size = Double(field(node, sizeOffset))
        let (pSum, live) = escape(node, UnsafeRawPointer(q.floats))
        if pSum > 0 {
            let pOut = Double(pSum) / Double(live)
            w.expected += w.reach * pOut * (w.depth + 1)
            w.reach *= 1 - pOut
        }
        let f = Int(Int32(bitPattern: field(node, featureOffset)))
        if f < 0 {
            w.result = w.expected + w.reach * (w.depth + IsolationMath.cTable(size))
            w.done = true
            return
        }
        let split = node.loadUnaligned(fromByteOffset: splitOffset &* 4, as: Double.self)
        w.node = Self.child(left: w.node &+ 1, right: Int(field(node, rightOffset)), goLeft: q.doubles[f] < split)
        w.depth += 1
        if w.reach < 1e-9 {
            w.result = w.expected + w.reach * w.depth
            w.done = true
        }
    }

    /// Chance that a random cut at `node` separates the query from every point of the node: per
    /// feature e / (r + e), summed over the features (`pSum`) with the number of features where
    /// r + e > 0 (`live`); the probability is pSum / live. Eight lanes at a time. Most queries sit
    /// inside most boxes: that is tested first, and only a query outside pays the division.
    @inline(__always)
    private func escape(_ node: UnsafeRawPointer, _ xv: UnsafeRawPointer) -> (pSum: Float, live: Float) {
        let lanes = stride / 8
        let hiStart = stride &* 4
        var outside = false
        for k in 0..<lanes {
            let v = xv.loadUnaligned(fromByteOffset: k &* 32, as: SIMD8<Float>.self)
            let l = node.loadUnaligned(fromByteOffset: k &* 32, as: SIMD8<Float>.self)
            let h = node.loadUnaligned(fromByteOffset: hiStart &+ k &* 32, as: SIMD8<Float>.self)
            if any((v .> h) .| (v .< l)) { outside = true; break }
        }
        guard outside else { return (0, 0) }
        let zero = SIMD8<Float>(repeating: 0)
        let one = SIMD8<Float>(repeating: 1)
        var shareV = zero
        var liveV = zero
        for k in 0..<lanes {
            let v = xv.loadUnaligned(fromByteOffset: k &* 32, as: SIMD8<Float>.self)
            let l = node.loadUnaligned(fromByteOffset: k &* 32, as: SIMD8<Float>.self)
            let h = node.loadUnaligned(fromByteOffset: hiStart &+ k &* 32, as: SIMD8<Float>.self)
            let above = v - h, below = l - v
            var e = above.replacing(with: zero, where: above .< zero) + below.replacing(with: zero, where: below .< zero)
            var denom = (h - l) + e
            if k &* 8 &+ 8 > dims {
                // Lanes past `dims` (the query's NaN against the node's other fields) count as the
                // zero-width box at 0 around a query at 0 that zero padding was: e = 0, r + e = 0.
                let pad = .!(v .== v)
                e = e.replacing(with: zero, where: pad)
                denom = denom.replacing(with: zero, where: pad)
            }
            shareV += (e / denom).replacing(with: zero, where: e .== zero)
            liveV += zero.replacing(with: one, where: denom .> zero)
        }
        return (shareV.sum(), liveV.sum())
    }

    @inline(__always)
    func walk(root: Int, _ q: ForestQuery, _ credit: UnsafeMutableBufferPointer<Double>?) -> Double {
        let nodeBytes = nodeWords &* 4
        let xv = UnsafeRawPointer(q.floats)
        let xf = q.floats
        var n = root
        var depth = 0.0
        var reach = 1.0          // probability the walk is still going at this node
        var expected = 0.0
        while true {
            let node = raw + n &* nodeBytes
            let (pSum, live) = escape(node, xv)
            let size = Double(field(node, sizeOffset))
            if pSum > 0 {
                let active = Double(live)
                let pOut = Double(pSum) / active
                expected += reach * pOut * (depth + 1)
                if let credit {
                    let bits = IsolationMath.log2p1(size)
                    let lo = node.assumingMemoryBound(to: Float.self)
                    let hi = lo + stride
                    for f in 0..<dims {
                        let v = xf[f], l = lo[f], h = hi[f]
                        let share = v > h ? (v - h) / (v - l) : (v < l ? (l - v) / (h - v) : 0)
                        if share > 0 { credit[f] += reach * Double(share) / active * bits }
                    }
                }
                reach *= 1 - pOut
            }
            let f = Int(Int32(bitPattern: field(node, featureOffset)))
            if f < 0 {
                return expected + reach * (depth + IsolationMath.cTable(size))
            }
            let split = node.loadUnaligned(fromByteOffset: splitOffset &* 4, as: Double.self)
            let next = Self.child(left: n &+ 1, right: Int(field(node, rightOffset)), goLeft: q.doubles[f] < split)
            if let credit {
                let childSize = Double(field(raw + next &* nodeBytes, sizeOffset))
                credit[f] += reach * (IsolationMath.log2p1(size) - IsolationMath.log2p1(childSize))
            }
            n = next
            depth += 1
            if reach < 1e-9 { return expected + reach * depth }
        }
    }
}

/// A query as the walks read it: its values as doubles (routing) and as floats padded to the box
/// lanes (the box tests).
struct ForestQuery: @unchecked Sendable {
    let doubles: UnsafePointer<Double>
    let floats: UnsafePointer<Float>
}

/// The state of one tree's walk in ``ForestStorage``'s lockstep scoring.
struct LockstepWalk {
    var node: Int
    var depth = 0.0
    /// Probability that the walk is still going at this node.
    var reach = 1.0
    var expected = 0.0
    var result = 0.0
    var done = false

    init(node: Int) { self.node = node }
}
