/// # VigilState
///
/// Durable state beside the stream: model snapshots written atomically (temp file, fsync, rename)
/// and compressed with zstd, and state directories (`--state DIR`): a versioned layout held by one
/// process at a time (flock), whose checkpoint is a chain of binary files — a base and deltas —
/// named by a manifest that is replaced atomically (`docs/checkpoints.md`).
///
/// ```swift
/// try SnapshotFile.write(bytes, to: "Models/org.vigil")
/// let dir = try StateDirectory(path: "/var/lib/vigil")     // throws .locked if another Vigil has it
/// let last = try dir.loadCheckpoint()                         // nil on first use
/// try dir.commit(kind: .base, sections: [(1, meta), (7, principals)])
/// try dir.commit(kind: .delta, sections: [(1, meta), (7, changedPrincipals)])
/// ```
public enum VigilState {}
