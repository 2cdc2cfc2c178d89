import Foundation
import Spool
import Testing

/// A fresh spool folder per test.
final class ScratchSpool {
    let layout: SpoolLayout

    init() throws {
        var template = Array((NSTemporaryDirectory() + "spool-unit-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        layout = SpoolLayout(root: String(cString: made))
        try layout.create()
    }

    deinit { try? FileManager.default.removeItem(atPath: layout.root) }
}
