import Synchronization

/// Runs `body` with a time limit. A query on a connection whose peer vanished (a network
/// partition) does not end when its task is cancelled, so a task group would wait for it
/// as long as TCP retransmits; here the caller is answered at the deadline and the query
/// is left to fail on its own.
enum Deadline {
    struct Passed: Error, CustomStringConvertible {
        let seconds: Double
        let what: String
        var description: String { "\(what) did not finish within \(seconds) s (PostgreSQL unreachable?)" }
    }

    /// Whoever answers first (the body or the timer) resumes the caller; the other finds nothing to resume.
    private final class Race<T: Sendable>: Sendable {
        let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)
        let work = Mutex<Task<Void, Never>?>(nil)

        func answer(_ result: Result<T, any Error>) {
            continuation.withLock { $0.take() }?.resume(with: result)
        }
    }

    static func run<T: Sendable>(_ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let race = Race<T>()
        return try await withCheckedThrowingContinuation { continuation in
            race.continuation.withLock { $0 = continuation }
            let timer = Task {
                try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
                if Task.isCancelled { return }
                race.answer(.failure(Passed(seconds: seconds, what: what)))
                race.work.withLock { $0 }?.cancel()
            }
            let task = Task {
                let result: Result<T, any Error>
                do { result = .success(try await body()) } catch { result = .failure(error) }
                timer.cancel()
                race.answer(result)
            }
            race.work.withLock { $0 = task }
        }
    }
}
