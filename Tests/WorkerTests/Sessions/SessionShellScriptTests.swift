import Spool
import Testing
@testable import Worker

@Suite("SessionShellScript")
struct SessionShellScriptTests {
    let layout = SpoolLayout(root: "/srv/it's a spool")
    let session = SessionID.make()
    let job = JobID.make()

    @Test("quoting survives single quotes in paths")
    func quoting() {
        #expect(SessionShellScript.quote("it's") == "'it'\\''s'")
    }

    @Test("a command line redirects into the job's files and writes its status last")
    func runLine() {
        let bash = SessionShellScript(layout: layout, session: session, isBash: true).run(job, hasInput: false)
        #expect(bash.hasPrefix(". '/srv/it'\\''s a spool/jobs/\(job.rawValue)/command.sh' <'/dev/null' >>"))
        #expect(bash.contains("declare -f >"))
        #expect(bash.hasSuffix("/jobs/\(job.rawValue)/exit.code'\n"))
        let sh = SessionShellScript(layout: layout, session: session, isBash: false).run(job, hasInput: true)
        #expect(!sh.contains("declare -f"))
        #expect(sh.contains("<'/srv/it'\\''s a spool/jobs/\(job.rawValue)/stdin'"))
    }

    @Test("a restored shell reads env.sh and functions.sh; a first one only its cwd")
    func prelude() {
        let script = SessionShellScript(layout: layout, session: session, isBash: true)
        #expect(script.prelude(restoring: true).contains("env.sh"))
        #expect(!script.prelude(restoring: false).contains("env.sh"))
        #expect(script.prelude(restoring: false).contains("cwd"))
    }
}
