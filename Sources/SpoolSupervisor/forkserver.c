// spool-supervisor serve: the fork server.
//
// Why it exists: exec'ing spool-supervisor for every job cost about half a millisecond
// of each job's critical path (measured: 0.46 ms per posix_spawn of this static binary,
// against 0.1 ms for a fork of it). One long-lived server per worker, single-threaded,
// forks a supervisor per job instead, and the child runs exactly the code an exec'd
// supervisor runs.
//
// It is also the third recorder of every job it started (after the keeper and the
// supervisor): it is a child subreaper, so when a job's keeper and supervisor both die,
// the command is reparented here. The server then keeps it as the keeper would: it
// enforces the timeout, acts on the `cancel` marker (one inotify instance, made only
// when the first command is adopted), and writes `exit.json` with the real exit status
// when it reaps the command. It tells the command from other adopted processes by its
// session (the supervisor's pid, which the server knows from the fork) and by being its
// group's leader. It keeps serving those jobs after the worker has gone, and exits only
// when the worker has gone and it has no children left.
//
// Crash safety otherwise:
// - kill -9 of the server: running supervisors carry on (they become children of the
//   worker, which is a subreaper too), the worker sees the socket close and starts a
//   new server for the next job;
// - a job whose request reached a server that died before forking gets no pid line:
//   the worker sees the pipe close with nothing on it and starts it again (nothing ran).
//
// Protocol, on fd 3 (a stream socket from the worker): per job, 4 bytes of length N
// (little-endian), then N bytes holding the 8 supervisor arguments, then the job's own
// environment entries (KEY=VALUE, set over the server's environment), each ending in NUL.
// The first byte carries two descriptors (SCM_RIGHTS): the locked job folder and the
// write end of the job's pid pipe; they become the supervisor's fds 0 and 1. The server
// answers with the 4-byte pid of the supervisor, or -errno.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "exit_record.h"

int supervise_entry(int argc, char **argv);

#define ARGS 8
#define MAX_REQUEST (16 << 20)

static int read_full(int fd, void *buf, size_t len) {
    size_t off = 0;
    while (off < len) {
        ssize_t n = read(fd, (char *)buf + off, len - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        off += (size_t)n;
    }
    return 0;
}

// Reads one request: the length and first byte with the descriptors, then the rest.
// Returns 0, or -1 when the worker has gone (or sent something unusable).
static int receive(int sock, char **payload, uint32_t *length, int fds[2]) {
    unsigned char head[4];
    char control[CMSG_SPACE(2 * sizeof(int))];
    struct iovec iov = { head, sizeof head };
    struct msghdr msg = { 0 };
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do { n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    if (n <= 0) return -1;
    fds[0] = fds[1] = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(2 * sizeof(int)))
            memcpy(fds, CMSG_DATA(c), 2 * sizeof(int));
    }
    if ((size_t)n < sizeof head && read_full(sock, head + n, sizeof head - (size_t)n) != 0) return -1;
    *length = (uint32_t)head[0] | (uint32_t)head[1] << 8 | (uint32_t)head[2] << 16 | (uint32_t)head[3] << 24;
    if (*length == 0 || *length > MAX_REQUEST || fds[0] < 0 || fds[1] < 0) return -1;
    *payload = malloc(*length + 1);
    if (!*payload || read_full(sock, *payload, *length) != 0) return -1;
    (*payload)[*length] = '\0';
    return 0;
}

static void answer(int sock, int32_t value) {
    unsigned char out[4] = { (unsigned char)value, (unsigned char)(value >> 8), (unsigned char)(value >> 16), (unsigned char)(value >> 24) };
    if (write(sock, out, sizeof out) < 0) { /* the worker has gone; the next read ends us */ }
}

// ---- the jobs this server started --------------------------------------------------

struct job {
    pid_t supervisor;     // also the session id of everything the job runs
    char *dir;
    double grace;
    long long started_ns; // wall clock, for the record
    long long deadline;   // monotonic; -1 for none
    int supervisor_gone;
    pid_t command;        // the adopted command (our child now); 0 until adopted
    int watch;            // inotify watch on the job folder, or -1
    int cancelled, timed_out;
    long long kill_at;    // monotonic; -1 for none
};

static struct job *jobs;
static size_t job_count, job_capacity;
static int notify_fd = -1;

static long long mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void add_job(pid_t supervisor, const char *dir, double timeout, double grace) {
    if (job_count == job_capacity) {
        size_t capacity = job_capacity ? job_capacity * 2 : 64;
        struct job *grown = realloc(jobs, capacity * sizeof *jobs);
        if (!grown) { fprintf(stderr, "spool-supervisor serve: out of memory; job %s is not covered after its keeper\n", dir); return; }
        jobs = grown;
        job_capacity = capacity;
    }
    struct job *j = &jobs[job_count];
    memset(j, 0, sizeof *j);
    j->supervisor = supervisor;
    j->dir = strdup(dir);
    j->grace = grace;
    j->started_ns = exit_record_now_ns();
    j->deadline = timeout > 0 ? mono_ns() + (long long)(timeout * 1e9) : -1;
    j->watch = -1;
    j->kill_at = -1;
    if (!j->dir) return;
    job_count++;
}

static void remove_job(size_t index) {
    if (jobs[index].watch >= 0 && notify_fd >= 0) inotify_rm_watch(notify_fd, jobs[index].watch);
    free(jobs[index].dir);
    jobs[index] = jobs[--job_count];
}

static int has_file(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

// The fields of /proc/PID/stat that tell whose a process is.
struct proc_facts { char comm[32]; pid_t pgrp, session; };

static int read_proc(pid_t pid, struct proc_facts *facts) {
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0) return -1;
    text[n] = '\0';
    // "pid (comm) state ppid pgrp session ...": comm may hold anything, so parse from the last ')'.
    char *open_paren = strchr(text, '('), *close_paren = strrchr(text, ')');
    if (!open_paren || !close_paren || close_paren < open_paren) return -1;
    size_t len = (size_t)(close_paren - open_paren - 1);
    if (len >= sizeof facts->comm) len = sizeof facts->comm - 1;
    memcpy(facts->comm, open_paren + 1, len);
    facts->comm[len] = '\0';
    char state;
    int ppid, pgrp, session;
    if (sscanf(close_paren + 1, " %c %d %d %d", &state, &ppid, &pgrp, &session) != 4) return -1;
    facts->pgrp = pgrp;
    facts->session = session;
    return 0;
}

static void begin_stop(struct job *j, int cancel) {
    if (j->cancelled || j->timed_out || j->command <= 0) return;
    if (cancel) j->cancelled = 1; else j->timed_out = 1;
    killpg(j->command, SIGTERM);
    j->kill_at = mono_ns() + (long long)(j->grace * 1e9);
}

static void adopt(struct job *j, pid_t command) {
    j->command = command;
    fprintf(stderr, "spool-supervisor serve: the keeper and supervisor of %s died; keeping its command (pid %d)\n", j->dir, (int)command);
    if (notify_fd < 0) notify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (notify_fd >= 0) j->watch = inotify_add_watch(notify_fd, j->dir, IN_CREATE | IN_MOVED_TO);
    if (j->watch < 0)
        fprintf(stderr, "spool-supervisor serve: cannot watch %s for a cancel (%s); its timeout still holds\n", j->dir, strerror(errno));
    if (has_file(j->dir, "cancel")) begin_stop(j, 1);
}

// After a supervisor or keeper of ours died: adopts the commands that are our children
// now, and forgets the jobs that nobody of theirs is left in. A job whose supervisor exited
// 0 (its end recorded) is forgotten before this (`reap`); one whose exit.json is there
// costs one access(2); the list of children is read only when a job's record is missing.
static void review_jobs(void) {
    char list[65536];
    int listed = 0;
    for (size_t i = 0; i < job_count;) {
        struct job *j = &jobs[i];
        if (!j->supervisor_gone || j->command > 0) { i++; continue; }
        if (has_file(j->dir, "exit.json")) { remove_job(i); continue; }
        if (!listed) {
            char path[64];
            snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            ssize_t n = fd >= 0 ? read(fd, list, sizeof list - 1) : -1;
            if (fd >= 0) close(fd);
            list[n > 0 ? n : 0] = '\0';
            listed = 1;
        }
        int anyone = 0;
        for (char *p = list; *p;) {
            char *end;
            long pid = strtol(p, &end, 10);
            if (end == p) break;
            p = end;
            struct proc_facts facts;
            if (pid <= 0 || (pid_t)pid == j->supervisor || read_proc((pid_t)pid, &facts) != 0) continue;
            if (facts.session != j->supervisor) continue;
            anyone = 1;
            // The command leads its own group; the keeper does too, and says its name.
            if (facts.pgrp == (pid_t)pid && strcmp(facts.comm, "spool-keeper") != 0) { adopt(j, (pid_t)pid); break; }
        }
        if (!anyone && j->command <= 0) { remove_job(i); continue; }
        i++;
    }
}

static void record_adopted(size_t index, int status) {
    struct job *j = &jobs[index];
    // After a timeout or cancel nothing of the job may survive, stragglers included.
    if (j->cancelled || j->timed_out) killpg(j->command, SIGKILL);
    char text[EXIT_RECORD_SIZE];
    exit_record_format(text, sizeof text, j->command, 1, status, j->timed_out, j->cancelled, j->started_ns,
                       exit_record_now_ns(), NULL, NULL, "fork server");
    int fd = -1;
    exit_record_write(j->dir, &fd, text, 0);
    if (fd >= 0) close(fd);
    remove_job(index);
}

// The job whose command `pid` is: one adopted already, or one whose keeper and supervisor
// have died just now (so the command is our child) but was not reviewed yet. A command
// leads its own group in its job's session (the supervisor's pid); the keeper does too,
// and says its name. Returns the job's index, or -1.
static long command_job(pid_t pid) {
    for (size_t i = 0; i < job_count; i++)
        if (jobs[i].command == pid) return (long)i;
    struct proc_facts facts;
    if (read_proc(pid, &facts) != 0 || facts.pgrp != pid || strcmp(facts.comm, "spool-keeper") == 0) return -1;
    for (size_t i = 0; i < job_count; i++) {
        if (jobs[i].supervisor != facts.session || jobs[i].supervisor == pid || jobs[i].command > 0) continue;
        adopt(&jobs[i], pid);
        return (long)i;
    }
    return -1;
}

// Reaps every child that has ended: a command we keep gets its exit recorded first, while
// its zombie still holds its process group (so nobody who finds no record and no group
// takes the job for lost in between); a supervisor's end marks its job for review;
// anything else (a keeper, a process the command left behind) is only reaped.
static void reap(void) {
    int review = 0;
    for (;;) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) break;
        pid_t pid = info.si_pid;
        long command = command_job(pid);
        if (command >= 0) {
            int status = info.si_code == CLD_EXITED ? W_EXITCODE(info.si_status, 0) : W_EXITCODE(0, info.si_status);
            record_adopted((size_t)command, status);
        }
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        if (command >= 0) continue;
        int known = 0;
        for (size_t i = 0; i < job_count; i++) {
            if (jobs[i].supervisor != pid) continue;
            known = 1;
            // A supervisor exits 0 only once its job's end is recorded: filed by the worker
            // (then there is no exit.json to look for) or written. Anything else is reviewed.
            if (info.si_code == CLD_EXITED && info.si_status == 0) remove_job(i);
            else { jobs[i].supervisor_gone = 1; review = 1; }
            break;
        }
        if (!known) review = 1; // a keeper (its supervisor's end comes too), or a straggler
    }
    if (review) review_jobs();
}

static void read_notifications(void) {
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n;
    while ((n = read(notify_fd, buf, sizeof buf)) > 0) {
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *event = (struct inotify_event *)p;
            p += sizeof *event + event->len;
            if (event->len == 0 || strcmp(event->name, "cancel") != 0) continue;
            for (size_t i = 0; i < job_count; i++)
                if (jobs[i].watch == event->wd && jobs[i].command > 0) begin_stop(&jobs[i], 1);
        }
    }
}

// Timeouts and the KILL after the grace period, for adopted commands; returns the poll
// timeout in ms until the next one (-1 for none).
static int enforce_deadlines(void) {
    long long now = mono_ns(), next = -1;
    for (size_t i = 0; i < job_count; i++) {
        struct job *j = &jobs[i];
        if (j->command <= 0) continue;
        if (j->kill_at >= 0 && now >= j->kill_at) { killpg(j->command, SIGKILL); j->kill_at = -1; }
        if (j->deadline >= 0 && now >= j->deadline && !j->cancelled && !j->timed_out) begin_stop(j, 0);
        long long due = j->kill_at >= 0 ? j->kill_at : (!j->cancelled && !j->timed_out ? j->deadline : -1);
        if (due >= 0 && (next < 0 || due < next)) next = due;
    }
    if (next < 0) return -1;
    return next <= now ? 0 : (int)((next - now + 999999) / 1000000);
}

static int has_children(void) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0;
}

int serve(void) {
    int sock = 3;
    // Exits only when the worker has closed the socket and nothing of ours is left; a
    // signal to the worker's process group is the worker's business. SIGCHLD is read
    // from a signalfd to reap children.
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    fcntl(sock, F_SETFD, FD_CLOEXEC);
    // A command whose keeper and supervisor die is reparented here (see the top).
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    for (;;) {
        int wait_ms = enforce_deadlines();
        if (sock < 0 && !has_children()) return 0;
        struct pollfd fds[3] = { { sock, POLLIN, 0 }, { sigfd, POLLIN, 0 }, { notify_fd, POLLIN, 0 } };
        if (poll(fds, 3, wait_ms) < 0) {
            if (errno == EINTR) continue;
            return 1;
        }
        if (fds[1].revents & POLLIN) {
            struct signalfd_siginfo info;
            while (read(sigfd, &info, sizeof info) == (ssize_t)sizeof info) {}
        }
        reap();
        if (notify_fd >= 0 && (fds[2].revents & POLLIN)) read_notifications();
        if (sock < 0 || !(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char *payload = NULL;
        uint32_t length = 0;
        int received[2];
        if (receive(sock, &payload, &length, received) != 0) {
            // The worker has gone: no more jobs, but the running ones stay covered.
            free(payload);
            close(sock);
            sock = -1;
            continue;
        }
        char *argv[ARGS + 2];
        argv[0] = "spool-supervisor";
        int count = 0;
        char *p = payload;
        for (; p < payload + length && count < ARGS; p += strlen(p) + 1) argv[1 + count++] = p;
        argv[1 + count] = NULL;
        char *environment = p; // what follows the arguments
        pid_t child = count == ARGS ? fork() : -EINVAL;
        if (child == 0) {
            // The supervisor: the descriptors an exec'd one would have, nothing else of ours.
            close(sock);
            if (sigfd >= 0) close(sigfd);
            if (notify_fd >= 0) close(notify_fd);
            setsid();
            if (dup2(received[0], 0) < 0 || dup2(received[1], 1) < 0) _exit(2);
            close(received[0]);
            close(received[1]);
            sigset_t none;
            sigemptyset(&none);
            sigprocmask(SIG_SETMASK, &none, NULL);
            signal(SIGINT, SIG_DFL);
            signal(SIGTERM, SIG_DFL);
            signal(SIGHUP, SIG_DFL);
            for (char *e = environment; e < payload + length; e += strlen(e) + 1)
                if (strchr(e, '=')) putenv(e);
            _exit(supervise_entry(ARGS + 1, argv));
        }
        if (child > 0) add_job(child, argv[1], atof(argv[2]), atof(argv[3]));
        close(received[0]);
        close(received[1]);
        free(payload);
        answer(sock, child > 0 ? (int32_t)child : (child == -EINVAL ? -EINVAL : -errno));
    }
}
