import Foundation
import VigilCore

/// An inline SVG of one principal's events per hour against its baseline band, alerts marked.
///
/// The band is what the model expected: the baseline's usual events per hour (the `rate_long`
/// baseline the explanations quote) ± 2 √usual, the spread of a Poisson count with that mean, so
/// a bar far above the band is the burst the scorer saw. Hours without events keep the last usual
/// rate (the baseline only moves when the principal acts). Everything is drawn with SVG
/// presentation attributes, so the page needs no inline style attributes.
/// Cost: O(hours in the principal's span), at most `ReportCollector.maxHours`.
public enum ActivityChart {
    public static let width = 720.0
    public static let height = 180.0
    static let left = 36.0, right = 8.0, top = 10.0, bottom = 24.0

    /// `hours`: hour index (event time / 1 h) → activity; `alerts`: alert times (ms) with a label.
    public static func svg(principal: String, hours: [Int64: ReportCollector.Hour], alerts: [(time: Int64, label: String)]) -> String {
        guard let h0 = hours.keys.min(), let h1 = hours.keys.max() else { return "" }
        let span = Int(h1 - h0) + 1
        var counts = [Int](repeating: 0, count: span)
        var usual = [Double?](repeating: nil, count: span)
        var carried: Double?
        for i in 0..<span {
            if let h = hours[h0 + Int64(i)] {
                counts[i] = h.events
                if let u = h.usual { carried = u }
            }
            usual[i] = carried
        }
        func upper(_ u: Double) -> Double { u + 2 * u.squareRoot() }
        func lower(_ u: Double) -> Double { max(0, u - 2 * u.squareRoot()) }
        let peak = max(1, Double(counts.max() ?? 1), usual.compactMap { $0.map(upper) }.max() ?? 0) * 1.1
        let plotW = width - left - right, plotH = height - top - bottom
        let step = plotW / Double(span)
        func x(_ i: Double) -> Double { left + i * step }
        func y(_ v: Double) -> Double { top + plotH * (1 - v / peak) }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var s = "<svg class=\"activity\" data-principal=\"\(HTML.escape(principal))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Events per hour of \(HTML.escape(principal)) against its baseline band\" xmlns=\"http://www.w3.org/2000/svg\">"
        s += "<title>Events per hour of \(HTML.escape(principal)); shaded: the band its baseline expected; red: alerts</title>"
        // Band: one polygon per run of hours with a usual rate.
        var i = 0
        while i < span {
            guard usual[i] != nil else { i += 1; continue }
            var j = i
            while j < span, usual[j] != nil { j += 1 }
            var pts: [String] = []
            for k in i..<j { pts.append("\(f(x(Double(k))))," + f(y(upper(usual[k]!)))); pts.append("\(f(x(Double(k + 1))))," + f(y(upper(usual[k]!)))) }
            for k in (i..<j).reversed() { pts.append("\(f(x(Double(k + 1))))," + f(y(lower(usual[k]!)))); pts.append("\(f(x(Double(k))))," + f(y(lower(usual[k]!)))) }
            s += "<polygon class=\"band\" points=\"\(pts.joined(separator: " "))\" fill=\"#9ec5e8\" fill-opacity=\"0.55\"/>"
            i = j
        }
        for (k, c) in counts.enumerated() where c > 0 {
            let top = y(Double(c))
            s += "<rect x=\"\(f(x(Double(k)) + step * 0.1))\" y=\"\(f(top))\" width=\"\(f(max(0.5, step * 0.8)))\" height=\"\(f(y(0) - top))\" fill=\"#34495e\"><title>\(EventTime.format(Int64(k) * EventTime.hour + h0 * EventTime.hour).prefix(13)):00Z: \(c) events" + (usual[k].map { ", usually about \(Int($0.rounded()))" } ?? "") + "</title></rect>"
        }
        for a in alerts {
            let pos = Double(a.time - h0 * EventTime.hour) / Double(EventTime.hour)
            guard pos >= 0, pos <= Double(span) else { continue }
            s += "<line class=\"alert-mark\" x1=\"\(f(x(pos)))\" x2=\"\(f(x(pos)))\" y1=\"\(f(top))\" y2=\"\(f(y(0)))\" stroke=\"#c0392b\" stroke-width=\"2\"><title>\(HTML.escape(a.label))</title></line>"
        }
        // Axes: zero line, peak label, first and last hour.
        s += "<line x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(y(0)))\" y2=\"\(f(y(0)))\" stroke=\"#888\"/>"
        s += "<text x=\"2\" y=\"\(f(top + 10))\" font-size=\"11\" fill=\"#555\">\(Int((peak / 1.1).rounded()))</text>"
        s += "<text x=\"2\" y=\"\(f(y(0)))\" font-size=\"11\" fill=\"#555\">0</text>"
        s += "<text x=\"\(f(left))\" y=\"\(f(height - 6))\" font-size=\"11\" fill=\"#555\">\(EventTime.format(h0 * EventTime.hour).prefix(13)):00Z</text>"
        s += "<text x=\"\(f(width - right))\" y=\"\(f(height - 6))\" font-size=\"11\" fill=\"#555\" text-anchor=\"end\">\(EventTime.format((h1 + 1) * EventTime.hour).prefix(13)):00Z</text>"
        return s + "</svg>"
    }
}
