/// # VigilResponders
///
/// Where alerts go. This version writes `vigil.alert/1` JSON lines to stdout or a file, and dead
/// letters to their own file; webhooks, quarantine and the audit trail build on the same sink.
///
/// ```swift
/// let out = try LineWriter(path: "-")      // stdout
/// out.write(alert.jsonLine())
/// out.flush()
/// ```
public enum VigilResponders {}
