/// # VigilReport
///
/// `vigil report`: one self-contained HTML file an analyst can open offline, or on a phone, after
/// replaying a week of logs: a summary, the incidents by severity with their reasons in plain
/// words and a timeline of their evidence, and for each principal that alerted its activity per
/// hour against the band its baseline expected, with the alert moments marked.
///
/// Why a target of its own: rendering HTML is a surface of its own (like metrics), and it is pure:
/// it takes decoded alerts and what a `ReportCollector` gathered from the events, and returns a
/// string. Everything taken from logs is attacker-controlled and is escaped (`HTML.escape`); the
/// page loads nothing (a `default-src 'none'` Content-Security-Policy, its one style block allowed
/// by hash, no script).
///
/// Example:
/// ```swift
/// let alerts = try ReportAlert.decodeLines(alertFileBytes)
/// let collector = ReportCollector(alerts: alerts, redact: { $0 })
/// engine.onEvent = { e in collector.observe(e, usualPerHour: engine.usualHourlyRate(of: e.principal)) }
/// let html = HTMLReport(alerts: alerts, collected: collector).render()
/// ```
public enum VigilReportModule {}
