/// # VigilState
///
/// Durable state beside the stream: model snapshots written atomically (temp file, fsync, rename)
/// and compressed with zstd, and state directories (`--state DIR`): a versioned layout held by one
/// process at a time (flock), whose checkpoint is replaced atomically.
///
/// ```swift
/// try SnapshotFile.write(bytes, to: "Models/org.vigil")
/// let dir = try StateDirectory(path: "/var/lib/vigil")     // throws .locked if another Vigil has it
/// try dir.writeCheckpoint(bytes)
/// let last = try dir.readCheckpoint()                         // nil on first use
/// ```
public enum VigilState {}
