/// A sleep that ends early, without an error, when the task is cancelled.
///
/// `Task.sleep` throws only `CancellationError`; every loop that pauses re-checks
/// `Task.isCancelled` (or is torn down by its task group) right after, so swallowing that
/// one error here is harmless, and the call sites need no `try?` of their own.
public enum Pause {
    public static func `for`(_ duration: Duration) async {
        do { try await Task.sleep(for: duration) } catch {}
    }
}
