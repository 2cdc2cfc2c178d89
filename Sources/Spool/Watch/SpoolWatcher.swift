import CInotifyTools
import Foundation
import Synchronization

/// File-system events for the whole process, as `AsyncStream`s.
///
/// libinotifytools keeps process-global state, returns every event in a static buffer
/// and is not thread-safe, so exactly one thread (started here, once per process) ever
/// calls into it: it adds watches, waits for events, copies each event out, and hands
/// the copies to every subscriber. Watches asked for from other threads are queued and
/// applied by that thread, which is woken through a pipe that it also watches (inotify
/// reports writes to a pipe), so adding a watch costs no polling and no file on disk.
public final class SpoolWatcher: Sendable {
    private struct Pending {
        var directory: String
        /// 0 removes the watch.
        var mask: UInt32
        var done: @Sendable (Result<Void, SpoolError>) -> Void
    }

    private struct State {
        var subscribers: [Int: WatchEventStream.BoundedQueue] = [:]
        var nextSubscriber = 0
        var pending: [Pending] = []
        /// Each watched folder's mask and watch descriptor.
        var watched: [String: (mask: UInt32, wd: Int32)] = [:]
    }

    private let state = Mutex(State())
    private let wakeRead: Int32
    private let wakeWrite: Int32

    private static let instance = Mutex<SpoolWatcher?>(nil)

    /// The process's watcher, started on first use.
    public static func shared() throws(SpoolError) -> SpoolWatcher {
        let result: Result<SpoolWatcher, SpoolError> = instance.withLock { instance in
            if let instance { return .success(instance) }
            do throws(SpoolError) {
                let watcher = try SpoolWatcher()
                instance = watcher
                return .success(watcher)
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    private init() throws(SpoolError) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw .watcherUnavailable("cannot create a wake pipe: \(String(cString: strerror(errno)))")
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, O_NONBLOCK)
        }
        let ready = DispatchSemaphore(value: 0)
        let startError = Mutex<SpoolError?>(nil)
        let thread = Thread { [self] in
            // Initialised on the owner thread, before anything else touches the library.
            guard inotifytools_initialize() != 0,
                  inotifytools_watch_file("/proc/self/fd/\(wakeRead)", Int32(IN_MODIFY)) != 0
            else {
                startError.withLock { $0 = .watcherUnavailable(String(cString: strerror(inotifytools_error()))) }
                ready.signal()
                return
            }
            Self.closeInotifyOnExec()
            ready.signal()
            loop()
        }
        thread.name = "spool-inotify"
        thread.start()
        guard ready.wait(timeout: .now() + 10) == .success else {
            throw .watcherUnavailable("the inotify thread did not start within 10 s")
        }
        if let error = startError.withLock({ $0 }) { throw error }
    }

    /// Starts watching `directory` (not recursively; folders created later need their own
    /// call) and returns once the watch is in place, so nothing after this call is missed.
    public func watch(_ directory: String, mask: UInt32) async throws(SpoolError) {
        let normalized = Self.normalize(directory)
        if state.withLock({ $0.watched[normalized].map { $0.mask & mask == mask } ?? false }) { return }
        try await enqueue(directory: normalized, mask: mask).get()
    }

    /// A folder's name without a trailing slash: the one key for it in `watched`.
    private static func normalize(_ directory: String) -> String {
        directory.count > 1 && directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    }

    /// Stops watching `directory` (for per-job folders, so watches do not pile up).
    public func unwatch(_ directory: String) async {
        let normalized = Self.normalize(directory)
        guard state.withLock({ $0.watched[normalized] != nil }) else { return }
        _ = await enqueue(directory: normalized, mask: 0)
    }

    /// libinotifytools makes its inotify instance without close-on-exec and does not say
    /// which descriptor it is: find it among ours, so no child (a job's fork server, a
    /// session shell) inherits it.
    private static func closeInotifyOnExec() {
        for name in FileSystem.list("/proc/self/fd") {
            guard let fd = Int32(name), FileSystem.linkTarget("/proc/self/fd/\(name)") == "anon_inode:inotify" else { continue }
            _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC)
        }
    }

    /// Hands a watch change to the owner thread, wakes it, and waits for the outcome.
    private func enqueue(directory: String, mask: UInt32) async -> Result<Void, SpoolError> {
        await withCheckedContinuation { continuation in
            state.withLock { state in
                state.pending.append(Pending(directory: directory, mask: mask) { continuation.resume(returning: $0) })
            }
            var byte: UInt8 = 1
            _ = Glibc.write(wakeWrite, &byte, 1)
        }
    }

    /// A stream of every event from now on (or, with `wants`, of those it accepts, and
    /// every overflow). It holds up to `limit` unread events; a consumer that falls further
    /// behind gets one overflow event (`isOverflow`) in place of the events it missed, and
    /// must rescan, as after the kernel's own overflow.
    /// - Parameter wants: called on the watcher's thread for each event, so it must be
    ///   quick; an event it refuses never wakes the consumer (with many consumers, each
    ///   waiting for its own file, most events are someone else's).
    public func events(limit: Int = 10_000, wants: (@Sendable (WatchEvent) -> Bool)? = nil) -> WatchEventStream {
        let (stream, continuation) = AsyncStream<WatchEvent>.makeStream()
        let queue = WatchEventStream.BoundedQueue(limit: max(1, limit), continuation: continuation, wants: wants)
        let id = state.withLock { state in
            let id = state.nextSubscriber
            state.nextSubscriber += 1
            state.subscribers[id] = queue
            return id
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return WatchEventStream(stream: stream, queue: queue)
    }

    /// `events`, of the entries named `names` in `directory` only (and every overflow): the
    /// wait of one job's files.
    public func events(in directory: String, named names: Set<String>, limit: Int = 10_000) -> WatchEventStream {
        events(limit: limit) { $0.directory == directory && names.contains($0.name) }
    }

    private func applyPending() {
        var drain = [UInt8](repeating: 0, count: 256)
        while read(wakeRead, &drain, drain.count) > 0 {}
        let pending = state.withLock { state in
            defer { state.pending.removeAll() }
            return state.pending
        }
        for request in pending {
            if request.mask == 0 {
                // By descriptor: libinotifytools keeps a folder as "DIR/", so removing it by
                // the name without the slash removed nothing (and still returned 1).
                if let wd = state.withLock({ $0.watched.removeValue(forKey: request.directory)?.wd }), wd >= 0 {
                    _ = inotifytools_remove_watch_by_wd(wd)
                }
                request.done(.success(()))
                continue
            }
            let combined = request.mask | (state.withLock { $0.watched[request.directory]?.mask } ?? 0)
            if inotifytools_watch_file(request.directory, Int32(bitPattern: combined)) != 0 {
                var wd = inotifytools_wd_from_filename(request.directory + "/")
                if wd < 0 { wd = inotifytools_wd_from_filename(request.directory) }
                state.withLock { $0.watched[request.directory] = (combined, wd) }
                request.done(.success(()))
            } else {
                let code = inotifytools_error()
                request.done(.failure(.watcherUnavailable("watching \(request.directory): \(String(cString: strerror(code)))")))
            }
        }
    }

    private func loop() {
        let wakeDirectory = "/proc/self/fd/\(wakeRead)"
        while true {
            applyPending()
            // Blocks until an event arrives; the wake pipe interrupts it for new watches.
            guard let raw = inotifytools_next_event(-1) else { continue }
            let wd = raw.pointee.wd
            let mask = raw.pointee.mask
            var name = ""
            if raw.pointee.len > 0 {
                let base = UnsafeRawPointer(raw).advanced(by: MemoryLayout<inotify_event>.size)
                name = String(cString: base.assumingMemoryBound(to: CChar.self))
            }
            var directory = ""
            if wd >= 0, let dir = inotifytools_filename_from_wd(wd) {
                directory = String(cString: dir)
                if directory.count > 1 && directory.hasSuffix("/") { directory.removeLast() }
            }
            if directory == wakeDirectory { continue }
            if mask & UInt32(IN_IGNORED) != 0 {
                // The watch is gone: removed by `unwatch`, or by the kernel with its folder
                // (retention). Bookkeeping only: no subscriber needs it, and each job's
                // unwatch would otherwise wake every subscriber once more.
                state.withLock { state in
                    if state.watched[directory]?.wd == wd { state.watched[directory] = nil }
                }
                _ = inotifytools_remove_watch_by_wd(wd) // forgets the library's record of it
                continue
            }
            let event = WatchEvent(directory: directory, name: name, mask: mask)
            let subscribers = state.withLock { Array($0.subscribers.values) }
            for subscriber in subscribers { subscriber.offer(event) }
        }
    }
}
