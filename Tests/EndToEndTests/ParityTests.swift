import Foundation
import ProcessHarness
import Spool
import Testing

/// What one lane saw of the same scenarios, with everything that may differ between runs
/// (job ids, times) or between revisions by design (the envelope, the error code of a
/// missing resource) left out. Both revisions are one product (DESIGN.md), so every lane's
/// transcript must be the same.
struct ParityTranscript: Equatable, CustomStringConvertible {
    var serverInfo: [String: String] = [:]
    var tools: [String] = []
    var run: [String] = []
    var output: String = ""
    var resourceText: String = ""
    var missingResource: String = ""
    var cancel: [String] = []
    var outputUpdated = false
    var taskOrWait: [String] = []
    var backupUpdated = false
    var backups: String = ""
    var sessionUpdated = false
    var session: [String] = []

    var description: String {
        Mirror(reflecting: self).children.map { "\($0.label ?? "?"): \($0.value)" }.joined(separator: "\n  ")
    }
}

@Suite("Parity: both revisions over both transports", .serialized)
struct ParityTests {
    static func structured(_ answer: [String: Any]) -> [String: Any] {
        ((answer["result"] as? [String: Any])?["structuredContent"] as? [String: Any]) ?? [:]
    }

    static func field(_ object: [String: Any], _ key: String) -> String { object[key].map { "\(key)=\($0)" } ?? "\(key)=nil" }

    static func text(_ answer: [String: Any]) -> String {
        let result = answer["result"] as? [String: Any]
        return ((result?["contents"] as? [[String: Any]])?.first?["text"] as? String) ?? ""
    }

    /// The same scenarios through one lane.
    static func transcript(_ lane: any ParityLane, repository: GitRepository) async throws -> ParityTranscript {
        var t = ParityTranscript()
        t.serverInfo = lane.serverInfo
        let tools = (try await lane.request("tools/list", [:])["result"] as? [String: Any])?["tools"] as? [[String: Any]] ?? []
        t.tools = tools.compactMap { $0["name"] as? String }.sorted()

        // run, output, a resource and a missing one.
        let run = try await lane.request("tools/call", ["name": "run", "arguments": ["command": "echo hi; echo err >&2; exit 3"]])
        let ran = structured(run)
        t.run = ["isError=\((run["result"] as? [String: Any])?["isError"] ?? "nil")"] + ["state", "exitCode", "stdout", "stderr"].map { field(ran, $0) }
        let job = ran["job"] as? String ?? ""
        let output = try await lane.request("tools/call", ["name": "output", "arguments": ["job": job]])
        t.output = [field(structured(output), "data"), field(structured(output), "eof")].joined(separator: " ")
        t.resourceText = text(try await lane.request("resources/read", ["uri": "spool://jobs/\(job)/stdout"]))
        let missing = try await lane.request("resources/read", ["uri": "spool://jobs/\(JobID.make())/stdout"])
        t.missingResource = ((missing["error"] as? [String: Any])?["message"] as? String)?.replacingOccurrences(of: #"[0-9A-Z]{26}"#, with: "<id>", options: .regularExpression) ?? "no error"

        // start, follow its output, cancel. The job writes only once the follow is in place
        // (the test creates the trigger file then), so the update cannot come too early.
        let trigger = NSTemporaryDirectory() + "spool-parity-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: trigger) }
        let started = structured(try await lane.request("tools/call", ["name": "start", "arguments": [
            "command": "while [ ! -e '\(trigger)' ]; do sleep 0.05; done; echo later; sleep 30"]]))
        let long = started["job"] as? String ?? ""
        try await lane.follow("spool://jobs/\(long)/stdout")
        FileManager.default.createFile(atPath: trigger, contents: nil)
        t.outputUpdated = try await lane.updated("spool://jobs/\(long)/stdout", timeout: 20)
        let cancel = structured(try await lane.request("tools/call", ["name": "cancel", "arguments": ["job": long]]))
        let waited = structured(try await lane.request("tools/call", ["name": "wait", "arguments": ["jobs": [long], "timeout": 20]]))
        t.cancel = [field(cancel, "outcome"), "\(((waited["jobs"] as? [[String: Any]])?.first?["state"]) ?? "nil")"]

        // A task (2026-07-28 with the extension) or start + wait (2025-11-25): the same end.
        let quick = try await lane.request("tools/call", ["name": "start", "arguments": ["command": "echo done; exit 4"]], tasks: true)
        let quickResult = quick["result"] as? [String: Any] ?? [:]
        if let taskID = quickResult["taskId"] as? String {
            var final: [String: Any] = [:]
            for _ in 0..<300 {
                let task = try await lane.request("tasks/get", ["taskId": taskID])["result"] as? [String: Any] ?? [:]
                if task["status"] as? String != "working" { final = task; break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let result = final["result"] as? [String: Any] ?? [:]
            let content = result["structuredContent"] as? [String: Any] ?? [:]
            t.taskOrWait = ["isError=\(result["isError"] ?? "nil")", field(content, "state"), field(content, "exitCode"), field(content, "stdout")]
        } else {
            let id = (quickResult["structuredContent"] as? [String: Any])?["job"] as? String ?? ""
            _ = try await lane.request("tools/call", ["name": "wait", "arguments": ["jobs": [id], "timeout": 30]])
            let run = try await lane.request("tools/call", ["name": "status", "arguments": ["job": id]])
            let content = structured(run)
            // The task's result is run's result for the job: output inline, isError for a failure.
            let result = try await lane.request("tools/call", ["name": "run", "arguments": ["command": "echo done; exit 4"]])
            t.taskOrWait = ["isError=\((result["result"] as? [String: Any])?["isError"] ?? "nil")", field(content, "state"), field(content, "exitCode"),
                            field(structured(result), "stdout")]
        }

        // A backup: the list is a resource, updated when a backup is taken.
        try await lane.follow("spool://backups")
        try repository.write("notes-\(lane.name.replacingOccurrences(of: " ", with: "-")).txt", "changed\n")
        t.backupUpdated = try await lane.updated("spool://backups", timeout: 30)
        let backups = text(try await lane.request("resources/read", ["uri": "spool://backups"]))
        let list = (try? JSONSerialization.jsonObject(with: Data(backups.utf8))) as? [String: Any]
        t.backups = "backups listed: \(((list?["backups"] as? [Any])?.isEmpty == false))"

        // A session: its state is a resource, updated when it changes.
        let opened = structured(try await lane.request("tools/call", ["name": "session_start", "arguments": [String: Any]()]))
        let session = opened["session"] as? String ?? ""
        let uri = "spool://sessions/\(session)"
        try await lane.follow(uri)
        _ = try await lane.request("tools/call", ["name": "session_end", "arguments": ["session": session]])
        t.sessionUpdated = try await lane.updated(uri, timeout: 20)
        var state = ""
        for _ in 0..<200 {
            let view = (try? JSONSerialization.jsonObject(with: Data(text(try await lane.request("resources/read", ["uri": uri])).utf8))) as? [String: Any]
            state = view?["state"] as? String ?? "unreadable"
            if state == "closed" { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        t.session = ["state=\(state)"]
        return t
    }

    @Test("run, start, wait, cancel, output, resources, follows, a task, a backup and a session: the same in every lane")
    func sameEverywhere() async throws {
        let repository = try GitRepository()
        try repository.commit(["README": "hello\n"], message: "first")
        let extra = ["--backup", repository.path, "--backup-idle", "0.2"]
        var transcripts: [(String, ParityTranscript)] = []
        for modern in [false, true] {
            try await withSpool { spool in
                let lane = try await StdioLane(spool: spool, extra: extra, modern: modern)
                defer { lane.close() }
                transcripts.append((lane.name, try await Self.transcript(lane, repository: repository)))
            }
        }
        try await withSpool { spool in
            let (_, port) = try await spool.startHTTP(workers: 1, extra: extra)
            let handshake = try await HandshakeHTTPLane(port: port)
            defer { handshake.close() }
            transcripts.append((handshake.name, try await Self.transcript(handshake, repository: repository)))
            let envelope = try await EnvelopeHTTPLane(port: port)
            defer { envelope.close() }
            transcripts.append((envelope.name, try await Self.transcript(envelope, repository: repository)))
        }
        let (firstName, first) = transcripts[0]
        #expect(first.run.contains("exitCode=3") && first.outputUpdated && first.backupUpdated && first.sessionUpdated, "\(firstName):\n  \(first)")
        for (name, transcript) in transcripts.dropFirst() {
            #expect(transcript == first, "\(name) differs from \(firstName):\n  \(transcript)\nvs\n  \(first)")
        }
    }
}
