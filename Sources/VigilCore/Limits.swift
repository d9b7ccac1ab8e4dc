/// Caps on everything that grows. Each names what happens on overflow; overflows are counted.
public enum Limits {
    /// Evidence event IDs in one alert (Contract: at most 100).
    public static let alertEvidence = 100
    /// Default cap on one record's decoded size; longer records are dead-lettered (`record-too-large`).
    public static let defaultMaxRecordBytes = 1 << 20
    /// Bytes of a bad record copied into its dead-letter entry (the rest is cut, length noted).
    public static let deadLetterExcerpt = 512
}
