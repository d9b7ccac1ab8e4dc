/// Ranking metrics for labelled scores: how well a detector orders outliers above inliers.
public enum Metrics {
    /// Area under the ROC curve (Mann–Whitney U with average ranks for ties). `nil` without both
    /// classes. O(n log n).
    public static func auroc(scores: [Double], labels: [Bool]) -> Double? {
        let pos = labels.filter { $0 }.count
        let neg = labels.count - pos
        guard pos > 0, neg > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSumPos = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let avgRank = Double(i + j) / 2 + 1
            for k in i...j where labels[order[k]] { rankSumPos += avgRank }
            i = j + 1
        }
        return (rankSumPos - Double(pos) * Double(pos + 1) / 2) / (Double(pos) * Double(neg))
    }

    /// Area under the precision–recall curve as average precision (ties broken pessimistically:
    /// a tied group counts as one step). `nil` without positives. O(n log n).
    public static func averagePrecision(scores: [Double], labels: [Bool]) -> Double? {
        let pos = labels.filter { $0 }.count
        guard pos > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var tp = 0, seen = 0
        var ap = 0.0
        var i = 0
        while i < order.count {
            var j = i
            var groupTP = 0
            while j < order.count && scores[order[j]] == scores[order[i]] {
                if labels[order[j]] { groupTP += 1 }
                j += 1
            }
            tp += groupTP
            seen = j
            if groupTP > 0 { ap += Double(groupTP) / Double(pos) * (Double(tp) / Double(seen)) }
            i = j
        }
        return ap
    }
}
