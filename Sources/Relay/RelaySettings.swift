/// The timing both relays share.
struct RelaySettings: Sendable {
    /// Seconds a claim is good for; the holder renews it at a third of that.
    var lease: Double = 30
    /// Seconds between looks at PostgreSQL when no notification came (lost NOTIFYs).
    var poll: Double = 2
    /// Seconds finished jobs' rows are kept (the jobs' `--retain`); 0 = forever.
    var retain: Double = 7 * 86_400
}
