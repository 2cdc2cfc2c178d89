// spool-supervisor: the one process that watches one job from start to end.
//
// Why it exists: a job must finish and have its exit status recorded even when the
// worker that claimed it is killed with SIGKILL. The worker starts this program in a
// new session; it forks the command into its own process group, waits for it,
// enforces the timeout, turns a cancel request (SIGTERM/SIGINT/SIGHUP/SIGUSR1 sent to
// this process) into TERM-then-KILL of the whole group, and writes `exit.json` into the
// job folder atomically. Two optional duties: with `pipe` input it keeps the job's stdin
// FIFO open for `send_input` until SIGUSR2 says `stdin.eof` was created, and with an
// output limit it copies the command's output into the files itself, dropping (and
// counting) what goes over the limit, so the files stop growing. The worker (or whoever recovers a dead worker's jobs) turns
// that file into `status.json` and moves the request to done/.
//
// Why C and not Swift: it is exec'd once per job, so its start-up cost is on every
// job's critical path (a Swift binary linking Foundation needs milliseconds to load),
// and it must depend on nothing that could fail after the worker is gone.
//
// Usage (called by spool-worker, not by people):
//   spool-supervisor JOBDIR TIMEOUT_S GRACE_S STDIN(null|file|pipe) CWD SHELL LIMIT COMMAND
// LIMIT is the most bytes kept per output stream; 0 means no limit (the command then
// writes straight into the files, with no copy at all).
// File descriptors on entry: 0 = the job folder, already flock'ed by the worker
// (the lock is held continuously from claim to exit), 1 = a pipe on which the
// command's pid is reported once, 2 = the worker's log.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int open_in(const char *dir, const char *name, int flags) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return open(path, flags | O_CLOEXEC, 0644);
}

// Written to a temp file and renamed, so no reader ever sees a half-written exit.json.
// Not fsync'ed: it survives any process crash (the page cache does), and the worker
// makes the outcome durable at once in status.json; only a power cut in between could
// lose it, and then the job is reported `lost`, not dropped.
static int write_exit_file(const char *dir, const char *text) {
    char tmp[4096], final[4096];
    snprintf(tmp, sizeof tmp, "%s/.exit.json.tmp", dir);
    snprintf(final, sizeof final, "%s/exit.json", dir);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t n = write(fd, text + off, len - off);
        if (n < 0) { if (errno == EINTR) continue; close(fd); return -1; }
        off += (size_t)n;
    }
    close(fd);
    return rename(tmp, final);
}

// One output stream copied through a pipe when a limit is set.
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

int main(int argc, char **argv) {
    if (argc != 9) {
        fprintf(stderr, "spool-supervisor: internal program of spool-worker; "
                        "expected 8 arguments, got %d\n", argc - 1);
        return 2;
    }
    const char *dir = argv[1];
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
    sigset_t waitset, oldset;
    sigemptyset(&waitset);
    sigaddset(&waitset, SIGCHLD);
    sigaddset(&waitset, SIGTERM);
    sigaddset(&waitset, SIGINT);
    sigaddset(&waitset, SIGHUP);
    sigaddset(&waitset, SIGUSR1);
    sigaddset(&waitset, SIGUSR2);
    sigprocmask(SIG_BLOCK, &waitset, &oldset);
    int sigfd = signalfd(-1, &waitset, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd < 0) {
        fprintf(stderr, "spool-supervisor: signalfd: %s\n", strerror(errno));
        return 2;
    }

    // Keep the inherited, already locked description open (off fd 0, close-on-exec) so
    // the lock lives exactly as long as this process. Run by hand, take the lock here.
    int lockfd = fcntl(0, F_DUPFD_CLOEXEC, 3);
    struct stat st;
    if (lockfd < 0 || fstat(lockfd, &st) != 0 || !S_ISDIR(st.st_mode)) {
        lockfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (lockfd < 0 || flock(lockfd, LOCK_EX) != 0) {
            fprintf(stderr, "spool-supervisor: cannot lock %s: %s\n", dir, strerror(errno));
            return 2;
        }
    }
    int out = open_in(dir, "stdout", O_WRONLY | O_CREAT | O_APPEND);
    int err = open_in(dir, "stderr", O_WRONLY | O_CREAT | O_APPEND);
    int in = -1, keep_open = -1;
    if (strcmp(stdin_mode, "file") == 0) {
        in = open_in(dir, "stdin", O_RDONLY);
    } else if (strcmp(stdin_mode, "pipe") == 0) {
        // Opening the read end without blocking, then a write end of our own, keeps the
        // FIFO open between send_input calls: the command sees EOF only once we let go.
        in = open_in(dir, "stdin", O_RDONLY | O_NONBLOCK);
        if (in >= 0) {
            fcntl(in, F_SETFL, fcntl(in, F_GETFL) & ~O_NONBLOCK);
            char eof[4096];
            snprintf(eof, sizeof eof, "%s/stdin.eof", dir);
            if (access(eof, F_OK) != 0)
                keep_open = open_in(dir, "stdin", O_WRONLY | O_NONBLOCK);
        }
    } else {
        in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    if (out < 0 || err < 0 || in < 0) {
        fprintf(stderr, "spool-supervisor: cannot open the files of %s: %s\n", dir, strerror(errno));
        return 2;
    }
    struct pump pumps[2] = { { -1, out, 0, 0 }, { -1, err, 0, 0 } };
    int child_out = out, child_err = err;
    if (limit > 0) {
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

    long long started = now_ns();
    pid_t child = fork();
    if (child < 0) {
        fprintf(stderr, "spool-supervisor: fork failed: %s\n", strerror(errno));
        return 2;
    }
    if (child == 0) {
        setpgid(0, 0);
        signal(SIGPIPE, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        dup2(in, 0);
        dup2(child_out, 1);
        dup2(child_err, 2);
        if (cwd[0] != '\0' && chdir(cwd) != 0) {
            dprintf(2, "spool: cannot change to directory %s: %s\n", cwd, strerror(errno));
            _exit(126);
        }
        execl(shell, shell, "-c", command, (char *)NULL);
        dprintf(2, "spool: cannot run shell %s: %s\n", shell, strerror(errno));
        _exit(127);
    }
    // Both sides set the group so that a kill sent right after fork reaches it.
    setpgid(child, child);
    close(in);
    if (limit > 0) {
        close(child_out);
        close(child_err);
    } else {
        close(out);
        close(err);
    }

    char line[32];
    int n = snprintf(line, sizeof line, "%d\n", (int)child);
    if (write(1, line, (size_t)n) < 0) { /* worker gone: carry on regardless */ }
    int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) { dup2(devnull, 1); close(devnull); }

    int timed_out = 0, cancelled = 0, status = 0, exited = 0;
    long long deadline = timeout > 0 ? mono_ns() + (long long)(timeout * 1e9) : -1;
    long long kill_at = -1;
    for (;;) {
        if (!exited && waitpid(child, &status, WNOHANG) == child) exited = 1;
        // Done once the command has ended and its output pipes are drained; output
        // held open by a background straggler is only drained while it is there.
        if (exited) {
            for (int i = 0; i < 2; i++) {
                if (pumps[i].from < 0) continue;
                fcntl(pumps[i].from, F_SETFL, O_NONBLOCK);
                while (pump_once(&pumps[i], limit) == 1) {}
                if (pumps[i].from >= 0) { close(pumps[i].from); pumps[i].from = -1; }
            }
            break;
        }
        long long next = -1;
        if (kill_at >= 0) next = kill_at;
        else if (deadline >= 0) next = deadline;
        int wait_ms = -1;
        if (next >= 0) {
            long long left = next - mono_ns();
            wait_ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
        }
        struct pollfd fds[3] = {
            { sigfd, POLLIN, 0 },
            { pumps[0].from, POLLIN, 0 },
            { pumps[1].from, POLLIN, 0 },
        };
        int ready = poll(fds, 3, wait_ms);
        if (ready < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; i++) {
            if (pumps[i].from >= 0 && (fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR)))
                pump_once(&pumps[i], limit);
        }
        struct signalfd_siginfo info;
        while (read(sigfd, &info, sizeof info) == (ssize_t)sizeof info) {
            int sig = (int)info.ssi_signo;
            if (sig == SIGCHLD) continue;
            if (sig == SIGUSR2) {
                // send_input asked for end of input: let go of our write end.
                if (keep_open >= 0) { close(keep_open); keep_open = -1; }
                continue;
            }
            if (!cancelled && !timed_out) {
                cancelled = 1;
                killpg(child, SIGTERM);
                kill_at = mono_ns() + (long long)(grace * 1e9);
            }
        }
        long long now = mono_ns();
        if (kill_at >= 0 && now >= kill_at) {
            killpg(child, SIGKILL);
            kill_at = -1;
            deadline = -1;
        } else if (deadline >= 0 && now >= deadline && !cancelled && !timed_out) {
            timed_out = 1;
            killpg(child, SIGTERM);
            kill_at = now + (long long)(grace * 1e9);
            deadline = -1;
        }
    }
    // After a timeout or cancel nothing of the job may survive, stragglers included.
    if (timed_out || cancelled) killpg(child, SIGKILL);
    if (keep_open >= 0) close(keep_open);

    char text[640];
    char code[64];
    if (WIFEXITED(status))
        snprintf(code, sizeof code, "\"exitCode\":%d,\"signal\":null", WEXITSTATUS(status));
    else
        snprintf(code, sizeof code, "\"exitCode\":null,\"signal\":%d", WTERMSIG(status));
    snprintf(text, sizeof text,
             "{\"pid\":%d,%s,\"timedOut\":%s,\"cancelled\":%s,"
             "\"startedAtNs\":%lld,\"finishedAtNs\":%lld,"
             "\"stdoutDropped\":%lld,\"stderrDropped\":%lld}\n",
             (int)child, code, timed_out ? "true" : "false", cancelled ? "true" : "false",
             started, now_ns(), pumps[0].dropped, pumps[1].dropped);
    if (write_exit_file(dir, text) != 0) {
        fprintf(stderr, "spool-supervisor: cannot write %s/exit.json: %s\n", dir, strerror(errno));
        return 1;
    }
    return 0;
}
