import Spool

/// What a job's keeper tells its worker on the supervisor's socket, a line each (main.c):
/// "CPID KPID" once the command runs, then "exit RECORD" when it hands the command's exit
/// record over, which the worker answers with `SupervisorLines.filed` or `.write` (main.c,
/// "the hand-off").
enum SupervisorMessage: Sendable, Equatable {
    /// The command's pid (its process group) and its keeper's.
    case started(pid: Int32, keeperPid: Int32?)
    /// The command has ended: the record the keeper would otherwise write as `exit.json`.
    case ended(SupervisorExit)
    /// A line that says neither (a garbled start, or a record that does not decode).
    case unreadable(line: String, reason: String)
}

/// Splits what arrives on the supervisor's socket into messages. A value type, fed
/// chunks as they come: a line may arrive in pieces.
struct SupervisorLines: Sendable {
    /// The worker's answer once it has written the record as the final status and filed
    /// the request: the keeper then writes no `exit.json`.
    static let filed: [UInt8] = Array("filed\n".utf8)
    /// Any other answer (or none): the keeper writes `exit.json`, read from there.
    static let write: [UInt8] = Array("write\n".utf8)

    private var pending: [UInt8] = []

    mutating func feed(_ chunk: [UInt8]) -> [SupervisorMessage] {
        pending += chunk
        var messages: [SupervisorMessage] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            let line = Array(pending[..<newline])
            pending.removeSubrange(...newline)
            messages.append(Self.message(line))
        }
        return messages
    }

    private static func message(_ line: [UInt8]) -> SupervisorMessage {
        let text = String(decoding: line, as: UTF8.self)
        let words = line.split(separator: UInt8(ascii: " "), maxSplits: 1, omittingEmptySubsequences: false)
        if words.count == 2, words[0].elementsEqual("exit".utf8) {
            do {
                return .ended(try SpoolJSON.decode(SupervisorExit.self, from: Array(words[1]), path: "(the keeper's exit record)"))
            } catch {
                return .unreadable(line: text, reason: "\(error)")
            }
        }
        let pids = text.split(separator: " ", omittingEmptySubsequences: false).map { Int32($0) }
        guard (1...2).contains(pids.count), let pid = pids[0], pid > 0 else {
            return .unreadable(line: text, reason: "neither \"CPID KPID\" nor \"exit RECORD\"")
        }
        return .started(pid: pid, keeperPid: pids.count == 2 ? pids[1] : nil)
    }
}
