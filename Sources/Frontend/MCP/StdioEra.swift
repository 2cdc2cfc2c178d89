import MCPWire

/// Which revision a stdio connection speaks: a connection that starts with `initialize` is
/// 2025-11-25 for good; one that starts with `server/discover` (or an enveloped request)
/// is 2026-07-28 until it sends `initialize`, which makes it 2025-11-25 from then on
/// (Claude Code negotiates that way: discover, then initialize; anthropics/claude-code
/// #96183). Pure; the stdin reader carries out what `route` decides.
struct StdioEra: Equatable {
    enum State: Equatable { case undecided, legacy, modern }

    enum Route: Equatable {
        /// To the 2025-11-25 handshake path.
        case legacy
        /// To the 2026-07-28 envelope path.
        case modern
        /// A notification neither path needs: dropped.
        case drop
    }

    private(set) var state = State.undecided

    mutating func route(_ message: Value) -> Route {
        guard case .object(let object) = message else { return .legacy } // vetted before: cannot happen
        let method = object["method"]?.stringValue
        let isRequest = object["id"] != nil && method != nil
        switch state {
        case .legacy:
            return .legacy
        case .modern:
            if method == "initialize" && isRequest {
                // The client chose 2025-11-25 after discovering both: the handshake decides.
                state = .legacy
                return .legacy
            }
            if method == "notifications/initialized" { return .drop }
            return .modern
        case .undecided:
            if method == "initialize" {
                if isRequest { state = .legacy }
                return .legacy
            }
            if ModernEnvelope.isModern(message) {
                if isRequest { state = .modern }
                return .modern
            }
            return .legacy // the legacy gate answers "initialize first"
        }
    }
}
