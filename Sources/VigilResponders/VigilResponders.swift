/// # VigilResponders
///
/// Where alerts go, and what Vigil does about them: `vigil.alert/1` lines (``LineWriter``), webhooks
/// through a durable outbox (``WebhookSender``, ``Outbox``, ``WebhookPayload``: json, Slack, OCSF;
/// HMAC-signed), quarantine under a safety policy (``Policy``, ``Quarantine``, ``CommandRunner``),
/// a signed hash-chain audit trail (``AuditTrail``, ``AuditVerifier``), keyed redaction of personal
/// data (``PIIRedactor``) and the YAML config that ties them together (``ResponderConfig``).
/// Responders use the wall clock (retries, caps, TTLs); nothing here changes the alert stream.
///
/// ```swift
/// let out = try LineWriter(path: "-")                                   // stdout
/// try out.write(alert.jsonLine())
/// let audit = try AuditTrail(directory: "/var/lib/vigil")
/// try audit.append("alert-emitted", [("alert", .string(alert.id))])
/// let body = WebhookPayload.render(alert, as: .ocsf)                    // Detection Finding, class 2004
/// ```
public enum VigilResponders {}
