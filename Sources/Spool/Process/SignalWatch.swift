import Dispatch
import Glibc

/// Turns signals into a callback on a Dispatch queue, so the handler runs outside signal
/// context and may do anything. The signals are ignored at the process level first (as
/// Dispatch requires); spool-supervisor resets them before running a command, because
/// ignored dispositions survive exec.
public final class SignalWatch: @unchecked Sendable {
    // Dispatch sources are thread-safe but not marked Sendable; they are only retained here.
    private let sources: [any DispatchSourceSignal]

    public init(_ signals: [Int32], handler: @escaping @Sendable () -> Void) {
        sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: handler)
            source.resume()
            return source
        }
    }
}
