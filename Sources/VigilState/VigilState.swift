/// # VigilState
///
/// Durable state beside the stream: model snapshots written atomically (temp file, fsync, rename)
/// and compressed with zstd.
///
/// ```swift
/// try SnapshotFile.write(bytes, to: "Models/org.vigil")
/// let bytes = try SnapshotFile.read("Models/org.vigil")
/// ```
public enum VigilState {}
