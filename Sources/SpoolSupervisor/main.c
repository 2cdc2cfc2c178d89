// spool-supervisor: watches one job from start to end.
//
// Why it exists: a job must finish and have its exit status recorded even when the
// worker that claimed it is killed with SIGKILL, and even when this program is.
// It runs as two processes that cover for each other:
//
//   spool-supervisor (S)  started by the worker in a new session. It reports the
//       command's pid to the worker, copies output through pipes when there is an
//       output limit, and is a child subreaper, so that if the keeper dies the
//       command becomes its child and it carries on as the keeper itself.
//   spool-keeper (K)      forked by S into a process group of its own. It forks the
//       command into a further process group, waits for it, enforces the timeout,
//       acts on cancel (SIGTERM/SIGUSR1) and end of input (SIGUSR2), which the job's
//       owner sends when the `cancel` and `stdin.eof` marker files appear, and checks
//       those files itself at start; terminates the command's group (TERM, then KILL).
//       It tells the worker the command's pids, and at the end hands it the exit record,
//       which the worker writes once, as the final status.json; only when that fails (no worker, a full disk)
//       does it write `exit.json`, into space it reserved when the job started, so that
//       a full disk cannot keep the outcome from being recorded ("the hand-off" below).
//
// No inotify instance here: creating one per job costs ~8 ms at exit (its teardown waits
// for an RCU grace period), so the worker, which already watches, relays the markers.
//
// Kill S: K goes on, enforces the timeout, honours a cancel and records the
// exit; the job lock (flock on the job folder, held by both) stays held until then.
// Kill K: the command is reparented to S, which becomes the keeper; S holds a write end
// of the stdin FIFO too, so input goes on. Kill both: the command is reparented to the
// fork server (forkserver.c), or to the worker when that is gone too; both are child
// subreapers and keep it the same way. Only when every process that could reap the
// command is gone, and its process group with it, is the job `lost`.
//
// Why C and not Swift: it starts once per job (forked by the worker's fork server,
// forkserver.c, or exec'd when run by hand), so its start-up cost is on every job's
// critical path, and it must depend on nothing that could fail after the worker is gone.
//
// Usage (called by spool-worker, not by people):
//   spool-supervisor JOBDIR TIMEOUT_S GRACE_S STDIN(null|file|pipe|tty:COLSxROWS) CWD SHELL LIMIT COMMAND [POLICY]
//   spool-supervisor serve [POLICY]                 (the fork server: forkserver.c)
//   spool-supervisor probe [POLICY]                 (prints what the kernel here enforces)
//   spool-supervisor confine [POLICY] -- PROGRAM ARGS (a session's shell, under the policy)
// POLICY is flag pairs (policy.c): --write DIR, --read-only DIR, --network off,
// --memory BYTES, --processes N, --file-size BYTES; it comes from the operator's flags.
// LIMIT is the most bytes kept per output stream; 0 means no limit (the command then
// writes straight into the files, with no copy at all).
// File descriptors on entry: 0 = the job folder, already flock'ed by the worker
// (the lock is held continuously from claim to exit), 1 = the worker's socket, on which
// the keeper (holding a descriptor of its own) reports the command's pid once and hands
// its record over at the end, and whose end of file tells the worker that the supervisor
// and the keeper are gone (run by hand, a pipe or terminal on which the supervisor prints
// the pids), 2 = the worker's log. The supervisor exits 0 only once the job's end is
// recorded (the fork server then forgets the job).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "exit_record.h"
#include "job_cgroup.h"
#include "policy.h"
#include "tty.h"

static long long mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const char *dir;

static int open_in(const char *name, int flags) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return open(path, flags | O_CLOEXEC, 0644);
}

static int exists_in(const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

// ---- the exit record -------------------------------------------------------------

// The exit record is written into a file created, and filled with spaces, when the job
// starts (exit_record.c): at the end it is overwritten in place and renamed, which needs
// no new space. Not fsync'ed: it survives any process crash (the page cache does), and
// the worker makes the outcome durable at once in status.json.
static int exit_fd = -1;

// ---- output copying (with an output limit) --------------------------------------

struct pump {
    int from;             // read end of the command's pipe; -1 once at EOF
    int to;               // the output file
    long long kept;       // bytes written to the file
    long long dropped;    // bytes over the limit, read and thrown away
};

// Copies what is available now; returns 0 at EOF (or error), 1 after copying, 2 when
// nothing is there yet (non-blocking reads only).
static int pump_once(struct pump *p, long long limit) {
    char buf[65536];
    ssize_t n = read(p->from, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 2;
    if (n <= 0) { close(p->from); p->from = -1; return 0; }
    long long room = limit - p->kept;
    if (room < 0) room = 0;
    size_t keep = (long long)n < room ? (size_t)n : (size_t)room;
    size_t off = 0;
    while (off < keep) {
        ssize_t w = write(p->to, buf + off, keep - off);
        if (w < 0) { if (errno == EINTR) continue; break; }
        off += (size_t)w;
    }
    p->kept += (long long)off;
    p->dropped += (long long)n - (long long)off;
    return 1;
}

static void drain_pumps(struct pump *pumps, long long limit) {
    for (int i = 0; i < 2; i++) {
        if (pumps[i].from < 0) continue;
        fcntl(pumps[i].from, F_SETFL, O_NONBLOCK);
        while (pump_once(&pumps[i], limit) == 1) {}
        if (pumps[i].from >= 0) { close(pumps[i].from); pumps[i].from = -1; }
    }
}

// ---- the keeper's loop ------------------------------------------------------------

struct keep {
    pid_t child;
    long long started;
    long long deadline;   // monotonic; -1 for none
    double grace;
    int timed_out, cancelled, status, have_status;
    int keep_open;        // our write end of the stdin FIFO (pipe mode), or -1
    int sigfd;
    const char *failure;  // set when the loop could not go on
    char failure_text[256];
    enum job_limit limit; // a cgroup limit the job hit
    struct tty *tty;      // the job's terminal (input side), or NULL
};

// Signals the job: its process group, and on a terminal every process of the terminal's
// session (an interactive shell's background jobs are groups of their own).
static void signal_job(struct keep *k, int sig) {
    killpg(k->child, sig);
    if (k->tty) tty_signal_session(k->child, sig);
}

// The job's cgroup (limits), made by the supervisor before it forks the keeper, so that
// whichever of the two keeps the command can tell a limit it hit and remove it.
static struct job_cgroup cgroup = { .procs = { -1, -1, -1 }, .events = -1 };

static int signal_fd(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void begin_stop(struct keep *k, int cancel) {
    if (k->cancelled || k->timed_out) return;
    if (cancel) k->cancelled = 1; else k->timed_out = 1;
    // A terminal's end is a hangup: interactive shells ignore SIGTERM but not SIGHUP.
    if (k->tty) signal_job(k, SIGHUP);
    signal_job(k, SIGTERM);
}

// Ends input: our write end of the FIFO goes (the FIFO ends once no writer is left).
static void end_input(struct keep *k) {
    if (k->keep_open >= 0) { close(k->keep_open); k->keep_open = -1; }
    if (k->tty) tty_feed(k->tty); // the FIFO's end reaches the terminal as its EOF character
}

static void check_markers(struct keep *k, long long *kill_at) {
    if (!k->cancelled && !k->timed_out && exists_in("cancel")) {
        begin_stop(k, 1);
        *kill_at = mono_ns() + (long long)(k->grace * 1e9);
    }
    if (k->keep_open >= 0 && exists_in("stdin.eof")) end_input(k);
}

// Waits for the command (our child), enforcing timeout and cancel; pumps output when
// `pumps` is given (the supervisor carrying on as keeper).
static void keep_loop(struct keep *k, struct pump *pumps, long long limit) {
    long long kill_at = -1;
    check_markers(k, &kill_at);
    for (;;) {
        // Not reaped here: the exit is recorded first (`finish`), so a keeper killed in
        // between leaves a zombie that whoever inherits it still records.
        siginfo_t ended;
        memset(&ended, 0, sizeof ended);
        int got = waitid(P_PID, (id_t)k->child, &ended, WEXITED | WNOHANG | WNOWAIT);
        if (got == 0 && ended.si_pid == k->child) {
            k->status = ended.si_code == CLD_EXITED ? W_EXITCODE(ended.si_status, 0) : W_EXITCODE(0, ended.si_status);
            k->have_status = 1;
            break;
        }
        if (got < 0 && errno == ECHILD) {
            // Not our child (it was reparented elsewhere): nothing to wait on.
            k->failure = "the command was no longer a child of its supervisor; its exit status is unknown";
            return;
        }
        long long next = kill_at >= 0 ? kill_at : (!k->cancelled && !k->timed_out ? k->deadline : -1);
        int wait_ms = -1;
        if (next >= 0) {
            long long left = next - mono_ns();
            wait_ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
        }
        // cgroup v2 wakes us (POLLPRI) when the processes limit is hit; v1 does not
        // notify (its events file polls as always ready), so there it is checked every second.
        int watch_limit = cgroup.events >= 0 && k->limit == LIMIT_NONE;
        if (watch_limit && cgroup.version == 1 && (wait_ms < 0 || wait_ms > 1000)) wait_ms = 1000;
        struct tty *t = k->tty;
        int feeding = t && t->master >= 0 && t->offset < t->length;
        struct pollfd fds[6] = {
            { k->sigfd, POLLIN, 0 },
            { pumps ? pumps[0].from : -1, POLLIN, 0 },
            { pumps ? pumps[1].from : -1, POLLIN, 0 },
            { watch_limit && cgroup.version == 2 ? cgroup.events : -1, POLLPRI, 0 },
            // A terminal's input: from the FIFO while nothing waits, into the terminal when it has room.
            { t && !feeding ? t->input : -1, POLLIN, 0 },
            { feeding ? t->master : -1, POLLOUT, 0 },
        };
        int ready = poll(fds, 6, wait_ms);
        if (ready < 0 && errno != EINTR) {
            // Without poll nothing can be enforced: end the command rather than leave it
            // running unsupervised, and record why.
            snprintf(k->failure_text, sizeof k->failure_text, "spool-supervisor could not wait for the job (poll: %s); its process group was killed", strerror(errno));
            k->failure = k->failure_text;
            signal_job(k, SIGKILL);
            while (waitpid(k->child, &k->status, 0) < 0 && errno == EINTR) {}
            k->have_status = 1;
            return;
        }
        if (pumps) {
            for (int i = 0; i < 2; i++)
                if (pumps[i].from >= 0 && (fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR))) pump_once(&pumps[i], limit);
        }
        // The pump closes the master once nothing holds the terminal (EIO): the input side
        // must not write to that descriptor number again.
        if (t && pumps && pumps[0].from < 0) t->master = -1;
        if (fds[4].revents || fds[5].revents) tty_feed(t);
        struct signalfd_siginfo info;
        while (read(k->sigfd, &info, sizeof info) == (ssize_t)sizeof info) {
            int sig = (int)info.ssi_signo;
            if (sig == SIGCHLD) continue;
            if (sig == SIGUSR2) { end_input(k); continue; }
            if (!k->cancelled && !k->timed_out) {
                begin_stop(k, 1);
                kill_at = mono_ns() + (long long)(k->grace * 1e9);
            }
        }
        // A job that hit its processes limit is ended: a fork failed somewhere in it, so
        // nothing it reports can be trusted, and a fork bomb would never end by itself.
        if (watch_limit && job_cgroup_hit(&cgroup) == LIMIT_PROCESSES) {
            k->limit = LIMIT_PROCESSES;
            signal_job(k, SIGKILL);
            job_cgroup_kill(&cgroup);
        }
        long long now = mono_ns();
        if (kill_at >= 0 && now >= kill_at) {
            signal_job(k, SIGKILL);
            kill_at = -1;
        } else if (k->deadline >= 0 && now >= k->deadline && !k->cancelled && !k->timed_out) {
            begin_stop(k, 0);
            kill_at = now + (long long)(k->grace * 1e9);
        }
    }
    // After a timeout or cancel nothing of the job may survive, stragglers included.
    if (k->timed_out || k->cancelled) signal_job(k, SIGKILL);
    if (k->keep_open >= 0) { close(k->keep_open); k->keep_open = -1; }
}

// Formats the exit record (the facts of the command's end) into `text` (EXIT_RECORD_SIZE).
static void format_record(struct keep *k, long long out_dropped, long long err_dropped, int counts_known, char *text) {
    char counts[160];
    if (counts_known) snprintf(counts, sizeof counts, ",\"stdoutDropped\":%lld,\"stderrDropped\":%lld", out_dropped, err_dropped);
    else counts[0] = '\0';
    // The limit is read here; the cgroup goes once the command is reaped (`release_cgroup`).
    if (k->limit == LIMIT_NONE) k->limit = job_cgroup_hit(&cgroup);
    if (k->limit != LIMIT_NONE)
        snprintf(counts + strlen(counts), sizeof counts - strlen(counts), ",\"limit\":\"%s\"",
                 k->limit == LIMIT_MEMORY ? "memory" : "processes");
    exit_record_format(text, EXIT_RECORD_SIZE, k->child, k->have_status, k->status, k->timed_out, k->cancelled,
                       k->started, exit_record_now_ns(), counts, k->failure, NULL);
}

// Records the end in `exit.json`: for whoever keeps the command when no worker takes it over.
static void record(struct keep *k, long long out_dropped, long long err_dropped, int counts_known) {
    char text[EXIT_RECORD_SIZE];
    format_record(k, out_dropped, err_dropped, counts_known, text);
    exit_record_write(dir, &exit_fd, text, 1);
}

// ---- the hand-off: the end written once -------------------------------------------
//
// The keeper does not write exit.json for the worker to read and write again as the
// final status.json (issue 28: one writer for each fact). It holds its own descriptor of
// the worker's socket (fd 1 of the supervisor), tells the worker the command's pids on it,
// and at the end hands it the record ("exit RECORD") and waits for "filed": the worker has
// written the final status.json and filed the request. Only then does the keeper let go of
// the job (and its lock) without writing exit.json. Any other answer, or none in time (a
// worker killed or stuck, a full disk), and the keeper writes exit.json into its reserve as
// before, so the outcome is never lost: the job's lock stays held until one of the two is
// written. The supervisor is not in the way: the worker hears from the keeper directly, and
// its end of file comes once both have exited. Run by hand (fd 1 no socket), the supervisor
// prints the pids and the keeper writes exit.json.

// How long the keeper waits for the worker's "filed".
#define HAND_OFF_WORKER_MS 5000
// How long the keeper waits for the supervisor's dropped counts.
#define COUNTS_MS 10000

// Reads one line ("...\n") from `fd` into `line` within `timeout_ms`; returns its length
// without the newline, or -1 (timeout, end of file, error). Reads whole chunks: each side
// writes a line in one write and then waits for the other's, so a read never takes more
// than the one line asked for.
static int read_line(int fd, char *line, size_t size, int timeout_ms) {
    size_t have = 0;
    long long deadline = mono_ns() + (long long)timeout_ms * 1000000LL;
    while (have + 1 < size) {
        long long left = deadline - mono_ns();
        if (left <= 0) return -1;
        struct pollfd p = { fd, POLLIN, 0 };
        int ready = poll(&p, 1, (int)((left + 999999) / 1000000));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) return -1;
        ssize_t n = read(fd, line + have, size - 1 - have);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        have += (size_t)n;
        line[have] = '\0';
        char *newline = memchr(line, '\n', have);
        if (newline) { *newline = '\0'; return (int)(newline - line); }
    }
    return -1;
}

// For tests only: `name` (milliseconds) holds the keeper back before it speaks to the
// worker, until the worker hangs up or the time is up, so that a test can kill processes
// in that window. Returns how long it could have held (the answer's wait grows by that).
static int test_hold(int worker, const char *name) {
    const char *text = getenv(name);
    int ms = text != NULL && atoi(text) > 0 ? atoi(text) : 0;
    if (ms > 0) {
        struct pollfd hangup = { worker, POLLRDHUP, 0 };
        while (poll(&hangup, 1, ms) < 0 && errno == EINTR) {}
    }
    return ms;
}

// Hands `text` (one line) to the worker; 1 once it answered "filed".
static int hand_off(int worker, const char *text) {
    if (worker < 0) return 0;
    int held = test_hold(worker, "SPOOL_TEST_SUPERVISOR_HANDOFF_DELAY_MS");
    char line[EXIT_RECORD_SIZE + 16];
    int n = snprintf(line, sizeof line, "exit %s", text); // the record ends with its newline
    if (n <= 0 || (size_t)n >= sizeof line || send(worker, line, (size_t)n, MSG_NOSIGNAL) != n) return 0;
    char answer[16];
    return read_line(worker, answer, sizeof answer, HAND_OFF_WORKER_MS + held) >= 0 && strcmp(answer, "filed") == 0;
}

// After the command is reaped (the record comes first, as always): kills what is left of
// the job and removes its cgroup.
static void release_cgroup(void) {
    if (cgroup.version) job_cgroup_remove(&cgroup);
}

// ---- start -----------------------------------------------------------------------

int serve(void);
static int supervise(int argc, char **argv);
static int confine(int argc, char **argv);

static int parse_policy(int argc, char **argv, int start) {
    char error[256];
    int end = policy_parse(&the_policy, argc, argv, start, error, sizeof error);
    if (end < 0) fprintf(stderr, "spool-supervisor: %s\n", error);
    return end;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "serve") == 0) {
        if (parse_policy(argc, argv, 2) < 0) return 2;
        // The jobs of this server share one network namespace, made once (see policy.h).
        if (the_policy.network_off && policy_share_network_namespace() != 0)
            fprintf(stderr, "spool-supervisor serve: no network namespace (%s); jobs rely on the seccomp filter\n", strerror(errno));
        policy_prepare();
        return serve();
    }
    if (argc >= 2 && strcmp(argv[1], "probe") == 0) {
        if (parse_policy(argc, argv, 2) < 0) return 2;
        struct enforcement e;
        policy_probe(&the_policy, &e);
        policy_print(&the_policy, &e);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "confine") == 0) return confine(argc, argv);
    if (argc >= 3 && strcmp(argv[1], "cgroup-remove") == 0) {
        // After a session's shell has ended: its cgroup, and whatever is left in it.
        if (parse_policy(argc, argv, 3) < 0) return 2;
        struct job_cgroup c;
        if (job_cgroup_find(&c, &the_policy, argv[2]) == 0) job_cgroup_remove(&c);
        return 0;
    }
    return supervise(argc, argv);
}

// A session's shell: the policy, then exec. Its commands run inside it, so they inherit
// the policy; its limits bind the whole session, in one cgroup named by `--cgroup NAME`
// (the worker removes it with `cgroup-remove` when the shell has ended).
static int confine(int argc, char **argv) {
    int start = 2;
    const char *cgroup_name = NULL;
    if (argc >= 4 && strcmp(argv[2], "--cgroup") == 0) { cgroup_name = argv[3]; start = 4; }
    int end = parse_policy(argc, argv, start);
    if (end < 0) return 2;
    if (end >= argc || strcmp(argv[end - 1], "--") != 0) {
        fprintf(stderr, "spool-supervisor confine: expected POLICY -- PROGRAM ARGS\n");
        return 2;
    }
    const char *tmpdir = getenv("SPOOL_PRIVATE_TMPDIR");
    char error[512];
    error[0] = '\0';
    struct job_cgroup session = { .procs = { -1, -1, -1 }, .events = -1 };
    if (cgroup_name && (the_policy.memory || the_policy.processes) && policy_cgroup_version(&the_policy) &&
        job_cgroup_create(&session, &the_policy, cgroup_name, error, sizeof error) != 0) {
        fprintf(stderr, "spool: the policy could not be applied, so the shell did not start: %s\n", error);
        return 126;
    }
    if (policy_apply(&the_policy, session.version ? session.procs : NULL, tmpdir && tmpdir[0] ? tmpdir : NULL, error, sizeof error) != 0) {
        fprintf(stderr, "spool: the policy could not be applied, so the shell did not start: %s\n", error);
        return 126;
    }
    unsetenv("SPOOL_PRIVATE_TMPDIR");
    execv(argv[end], argv + end);
    fprintf(stderr, "spool: cannot run %s: %s\n", argv[end], strerror(errno));
    return 127;
}

// The fork server's children start here.
int supervise_entry(int argc, char **argv) {
    return supervise(argc, argv);
}

// Also entered in a child of the fork server, with the same descriptors and arguments.
static int supervise(int argc, char **argv) {
    if (argc < 9) {
        fprintf(stderr, "spool-supervisor: internal program of spool-worker; "
                        "expected 8 arguments and a policy, got %d\n", argc - 1);
        return 2;
    }
    // A fork server's children have the server's policy already.
    if (argc > 9 && parse_policy(argc, argv, 9) < 0) return 2;
    dir = argv[1];
    double timeout = atof(argv[2]);
    double grace = atof(argv[3]);
    const char *stdin_mode = argv[4];
    const char *cwd = argv[5];
    const char *shell = argv[6];
    long long limit = atoll(argv[7]);
    const char *command = argv[8];

    // The worker may have left these ignored (ignored signals are discarded, not
    // queued), so put them back to default before waiting for them.
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    int sigfd = signal_fd();
    if (sigfd < 0) {
        fprintf(stderr, "spool-supervisor: signalfd: %s\n", strerror(errno));
        return 2;
    }

    // Keep the inherited, already locked description open (off fd 0, close-on-exec) so
    // the lock lives exactly as long as this process and the keeper. Run by hand, take it here.
    int lockfd = fcntl(0, F_DUPFD_CLOEXEC, 3);
    struct stat st;
    if (lockfd < 0 || fstat(lockfd, &st) != 0 || !S_ISDIR(st.st_mode)) {
        lockfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (lockfd < 0 || flock(lockfd, LOCK_EX) != 0) {
            fprintf(stderr, "spool-supervisor: cannot lock %s: %s\n", dir, strerror(errno));
            return 2;
        }
    }
    int out = open_in("stdout", O_WRONLY | O_CREAT | O_APPEND);
    int err = open_in("stderr", O_WRONLY | O_CREAT | O_APPEND);
    int in = -1, keep_open = -1;
    // A terminal job: "tty:COLSxROWS". Its input is the FIFO, as with "pipe", but the
    // keeper reads it (non-blocking) and types it into the terminal.
    unsigned short cols = 0, rows = 0;
    struct tty terminal = { .master = -1, .input = -1 };
    int on_tty = tty_mode(stdin_mode, &cols, &rows);
    if (on_tty) {
        in = open_in("stdin", O_RDONLY | O_NONBLOCK);
        if (in >= 0 && !exists_in("stdin.eof")) keep_open = open_in("stdin", O_WRONLY | O_NONBLOCK);
        if (in >= 0 && tty_open(&terminal, cols, rows) != 0) {
            fprintf(stderr, "spool-supervisor: cannot open a terminal for %s: %s\n", dir, strerror(errno));
            return 2;
        }
        terminal.input = in;
    } else if (strcmp(stdin_mode, "file") == 0) {
        in = open_in("stdin", O_RDONLY);
    } else if (strcmp(stdin_mode, "pipe") == 0) {
        // Opening the read end without blocking, then a write end of our own, keeps the
        // FIFO open between send_input calls: the command sees EOF only once we let go.
        in = open_in("stdin", O_RDONLY | O_NONBLOCK);
        if (in >= 0) {
            fcntl(in, F_SETFL, fcntl(in, F_GETFL) & ~O_NONBLOCK);
            if (!exists_in("stdin.eof")) keep_open = open_in("stdin", O_WRONLY | O_NONBLOCK);
        }
    } else {
        in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    if (out < 0 || err < 0 || in < 0) {
        fprintf(stderr, "spool-supervisor: cannot open the files of %s: %s\n", dir, strerror(errno));
        return 2;
    }
    exit_fd = exit_record_reserve(dir);
    struct pump pumps[2] = { { -1, out, 0, 0 }, { -1, err, 0, 0 } };
    // A terminal's output is copied by whoever keeps the command, limit or not.
    struct pump screen[2] = { { terminal.master, out, 0, 0 }, { -1, err, 0, 0 } };
    long long screen_limit = limit > 0 ? limit : 0x7fffffffffffffffLL;
    if (on_tty) {
        struct stat fs;
        if (fstat(out, &fs) == 0) screen[0].kept = fs.st_size;
    }
    int child_out = out, child_err = err;
    if (limit > 0 && !on_tty) {
        int p1[2], p2[2];
        if (pipe2(p1, O_CLOEXEC) != 0 || pipe2(p2, O_CLOEXEC) != 0) {
            fprintf(stderr, "spool-supervisor: pipe: %s\n", strerror(errno));
            return 2;
        }
        pumps[0].from = p1[0];
        pumps[1].from = p2[0];
        child_out = p1[1];
        child_err = p2[1];
        struct stat fs;
        if (fstat(out, &fs) == 0) pumps[0].kept = fs.st_size;
        if (fstat(err, &fs) == 0) pumps[1].kept = fs.st_size;
    }
    // k2s: the keeper tells the supervisor the command's pid, then "end" once it exited;
    // s2k: the supervisor answers with the dropped-output counts.
    int k2s[2], s2k[2];
    if (pipe2(k2s, O_CLOEXEC) != 0 || pipe2(s2k, O_CLOEXEC) != 0) {
        fprintf(stderr, "spool-supervisor: pipe: %s\n", strerror(errno));
        return 2;
    }
    // A command whose keeper dies is reparented to us, so we can carry on as its keeper.
    prctl(PR_SET_CHILD_SUBREAPER, 1);

    // Under a policy with write roots, a private TMPDIR in the job's folder (writable by
    // the job alone; the worker removes it with the job). Limits get a cgroup.
    char tmpdir[4200], policy_error[512];
    int policed = policy_is_set(&the_policy);
    const char *job_tmp = NULL;
    if (policed && the_policy.write_count > 0) {
        snprintf(tmpdir, sizeof tmpdir, "%s/tmp", dir);
        if (mkdir(tmpdir, 0700) == 0 || errno == EEXIST) job_tmp = tmpdir;
    }
    policy_error[0] = '\0';
    if (policed && (the_policy.memory || the_policy.processes) && policy_cgroup_version(&the_policy)) {
        const char *slash = strrchr(dir, '/');
        char name[300];
        snprintf(name, sizeof name, "spool-%s-%d", slash ? slash + 1 : dir, (int)getpid());
        if (job_cgroup_create(&cgroup, &the_policy, name, policy_error, sizeof policy_error) != 0 && policy_error[0] == '\0')
            snprintf(policy_error, sizeof policy_error, "cannot make the job's cgroup");
    }
    if (policed && the_policy.write_count > 0 && !job_tmp && policy_error[0] == '\0')
        snprintf(policy_error, sizeof policy_error, "cannot make the job's private TMPDIR %s: %s", tmpdir, strerror(errno));

    struct keep k = { .child = -1, .deadline = -1, .grace = grace, .keep_open = keep_open, .sigfd = sigfd,
                      .tty = on_tty ? &terminal : NULL };
    // The command tells the keeper it holds its terminal (this pipe's end of file): until
    // then the terminal has no slave side (a read of the master fails) and the command no
    // session to signal.
    int attached[2] = { -1, -1 };
    if (on_tty && pipe2(attached, O_CLOEXEC) != 0) {
        fprintf(stderr, "spool-supervisor: pipe: %s\n", strerror(errno));
        return 2;
    }
    k.started = exit_record_now_ns();
    if (timeout > 0) k.deadline = mono_ns() + (long long)(timeout * 1e9);

    pid_t keeper = fork();
    if (keeper < 0) {
        fprintf(stderr, "spool-supervisor: fork failed: %s\n", strerror(errno));
        return 2;
    }
    if (keeper == 0) {
        // ---- the keeper ----
        prctl(PR_SET_NAME, "spool-keeper");
        setpgid(0, 0); // out of the supervisor's group: a signal to that group is not for us
        // Fd 1 is the worker's socket: the keeper keeps a descriptor of its own for the
        // pids and the hand-off (both hold it, so the worker's end of file means both have
        // exited). A pipe (run by hand) stays the supervisor's alone.
        struct stat socket_info;
        int worker = fstat(1, &socket_info) == 0 && S_ISSOCK(socket_info.st_mode) ? fcntl(1, F_DUPFD_CLOEXEC, 3) : -1;
        int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (devnull >= 0) { dup2(devnull, 1); close(devnull); }
        close(k2s[0]);
        close(s2k[1]);
        for (int i = 0; i < 2; i++) if (pumps[i].from >= 0) close(pumps[i].from);
        pid_t child = fork();
        if (child < 0) {
            fprintf(stderr, "spool-supervisor: fork failed: %s\n", strerror(errno));
            _exit(2);
        }
        if (child == 0) {
            signal(SIGPIPE, SIG_DFL);
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            if (on_tty) {
                // Its own session, with the terminal as its controlling terminal.
                if (tty_attach(&terminal) != 0) {
                    dprintf(child_err, "spool: cannot attach the terminal %s: %s\n", terminal.slave, strerror(errno));
                    _exit(126);
                }
                close(attached[1]);
            } else {
                setpgid(0, 0);
                dup2(in, 0);
                dup2(child_out, 1);
                dup2(child_err, 2);
            }
            // A job inherits nothing but 0-2, whatever a worker or library left open
            // without close-on-exec (an inotify instance was seen here); the cgroup's
            // procs files are close-on-exec and used just below.
            close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
            if (policed && (policy_error[0] != '\0' ||
                            policy_apply(&the_policy, cgroup.procs, job_tmp, policy_error, sizeof policy_error) != 0)) {
                dprintf(2, "spool: the policy could not be applied, so the command did not run: %s\n", policy_error);
                _exit(126);
            }
            if (cwd[0] != '\0' && chdir(cwd) != 0) {
                dprintf(2, "spool: cannot change to directory %s: %s\n", cwd, strerror(errno));
                _exit(126);
            }
            execl(shell, shell, "-c", command, (char *)NULL);
            dprintf(2, "spool: cannot run shell %s: %s\n", shell, strerror(errno));
            _exit(127);
        }
        // Both sides set the group so that a kill sent right after fork reaches it; a
        // terminal's command makes a session of its own, which the keeper awaits.
        if (on_tty) {
            close(attached[1]);
            char byte;
            while (read(attached[0], &byte, 1) < 0 && errno == EINTR) {}
            close(attached[0]);
        } else {
            setpgid(child, child);
        }
        k.child = child;
        if (!on_tty) {
            close(in);
            close(child_out);
            close(child_err);
            if (limit > 0) { close(out); close(err); }
        }
        exit_record_note_start(exit_fd, child, getpid(), getppid(), on_tty, k.started);
        char line[32];
        int n = snprintf(line, sizeof line, "%d %d\n", (int)child, (int)getpid());
        if (write(k2s[1], line, (size_t)n) < 0) { /* supervisor gone: carry on regardless */ }
        if (worker >= 0) {
            // For tests only: the window in which the keeper has noted the start and the
            // worker has not heard of it, to kill the keeper and the supervisor inside it.
            test_hold(worker, "SPOOL_TEST_SUPERVISOR_REPORT_DELAY_MS");
            // Before any record on the same socket: the worker hears the start first.
            if (send(worker, line, (size_t)n, MSG_NOSIGNAL) < 0) { /* worker gone: the record goes to exit.json */ }
        }
        keep_loop(&k, on_tty ? screen : NULL, screen_limit);
        if (on_tty) drain_pumps(screen, screen_limit);
        // Ask the supervisor for the dropped counts (it drains the pipes first). If it is
        // gone, the counts are unknown; with no limit there are none. A terminal's output
        // was copied here.
        long long dropped[2] = { screen[0].dropped, 0 };
        // "end" tells the supervisor the command has ended (it no longer takes over). With
        // an output limit (and no terminal) it copies the output, and answers with the
        // dropped counts once it has drained the pipes; otherwise they are known here.
        int counted = limit > 0 && !on_tty, known = !counted;
        int told = write(k2s[1], "end\n", 4) == 4;
        char reply[96];
        if (counted && told && read_line(s2k[0], reply, sizeof reply, COUNTS_MS) >= 0 &&
            sscanf(reply, "%lld %lld", &dropped[0], &dropped[1]) == 2) known = 1;
        char text[EXIT_RECORD_SIZE];
        format_record(&k, dropped[0], dropped[1], known, text);
        if (!hand_off(worker, text)) exit_record_write(dir, &exit_fd, text, 1);
        while (waitpid(k.child, NULL, 0) < 0 && errno == EINTR) {}
        release_cgroup();
        _exit(0);
    }

    // ---- the supervisor ----
    close(k2s[1]);
    close(s2k[0]);
    if (on_tty) {
        // The terminal and its input stay open here, untouched, for carrying on as keeper.
        close(attached[0]);
        close(attached[1]);
    } else {
        close(in);
        if (limit > 0) { close(child_out); close(child_err); } else { close(out); close(err); }
    }
    // The supervisor holds a write end of the stdin FIFO too, so that input does not end
    // when the keeper dies; end of input (SIGUSR2) closes both.
    char buf[64];
    size_t have = 0;
    int reported = 0, ended = 0, took_over = 0;
    // With a worker on fd 1 (a socket) the keeper tells it the pids; run by hand, we print them.
    struct stat out_info;
    int by_hand = !(fstat(1, &out_info) == 0 && S_ISSOCK(out_info.st_mode));
    for (;;) {
        struct pollfd fds[4] = {
            { sigfd, POLLIN, 0 },
            { k2s[0], POLLIN, 0 },
            { pumps[0].from, POLLIN, 0 },
            { pumps[1].from, POLLIN, 0 },
        };
        int ready = poll(fds, 4, -1);
        if (ready < 0 && errno != EINTR) {
            // The keeper goes on without us; only output copying stops.
            fprintf(stderr, "spool-supervisor: poll: %s; leaving the job to its keeper\n", strerror(errno));
            break;
        }
        for (int i = 0; i < 2; i++)
            if (pumps[i].from >= 0 && (fds[i + 2].revents & (POLLIN | POLLHUP | POLLERR))) pump_once(&pumps[i], limit);
        if (fds[1].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(k2s[0], buf + have, sizeof buf - 1 - have);
            if (n > 0) have += (size_t)n;
            buf[have] = '\0';
            char *newline;
            while ((newline = strchr(buf, '\n')) != NULL) {
                *newline = '\0';
                if (strcmp(buf, "end") == 0) {
                    ended = 1;
                } else if (!reported) {
                    k.child = (pid_t)atoi(buf); // "CPID KPID", which the keeper tells the worker
                    if (by_hand && (write(1, buf, strlen(buf)) < 0 || write(1, "\n", 1) < 0)) { /* nobody reads */ }
                    // fd 1 stays open until we exit: its end of file (and the keeper's) is the worker's news of it.
                    reported = 1;
                }
                size_t used = (size_t)(newline - buf) + 1;
                memmove(buf, newline + 1, have - used + 1);
                have -= used;
            }
            if (ended) {
                drain_pumps(pumps, limit);
                if (limit > 0 && !on_tty) { // the keeper waits for the counts only then
                    char reply[96];
                    int len = snprintf(reply, sizeof reply, "%lld %lld\n", pumps[0].dropped, pumps[1].dropped);
                    if (write(s2k[1], reply, (size_t)len) < 0) { /* keeper gone */ }
                }
                break;
            }
            if (n == 0) {
                // The keeper died before the command ended: the command is ours now.
                took_over = 1;
                break;
            }
        }
        struct signalfd_siginfo info;
        while (read(sigfd, &info, sizeof info) == (ssize_t)sizeof info) {
            int sig = (int)info.ssi_signo;
            if (sig == SIGCHLD) continue;
            // A cancel sent to us (or end of input) is the keeper's to carry out; end of
            // input also lets go of our own write end.
            if (sig == SIGUSR2 && k.keep_open >= 0) { close(k.keep_open); k.keep_open = -1; }
            kill(keeper, sig == SIGUSR2 ? SIGUSR2 : SIGUSR1);
        }
    }
    if (took_over && k.child > 0) {
        fprintf(stderr, "spool-supervisor: the keeper of %s died; carrying on as keeper\n", dir);
        // Reaping the keeper first: by the time it is a zombie, its children are ours.
        while (waitpid(keeper, NULL, 0) < 0 && errno == EINTR) {}
        if (on_tty) {
            keep_loop(&k, screen, screen_limit);
            drain_pumps(screen, screen_limit);
            record(&k, screen[0].dropped, 0, 1);
        } else {
            keep_loop(&k, limit > 0 ? pumps : NULL, limit);
            drain_pumps(pumps, limit);
            record(&k, pumps[0].dropped, pumps[1].dropped, 1);
        }
        while (waitpid(k.child, NULL, 0) < 0 && errno == EINTR) {}
        release_cgroup();
        return 0;
    }
    int status = 0;
    while (waitpid(keeper, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
