// spool-supervisor serve: the fork server.
//
// Why it exists: exec'ing spool-supervisor for every job cost about half a millisecond
// of each job's critical path (measured: 0.46 ms per posix_spawn of this static binary,
// against 0.1 ms for a fork of it). One long-lived server per worker, single-threaded,
// forks a supervisor per job instead, and the child runs exactly the code an exec'd
// supervisor runs.
//
// Crash safety is unchanged. The supervisor a fork makes starts a session of its own
// and depends on the server no more than an exec'd one depends on the worker:
// - kill -9 of the server: running supervisors carry on (they become children of init),
//   the worker sees the socket close and starts a new server for the next job;
// - a job whose request reached a server that died before forking gets no pid line:
//   the worker sees the pipe close with nothing on it and starts it again (nothing ran).
//
// Protocol, on fd 3 (a stream socket from the worker): per job, 4 bytes of length N
// (little-endian), then N bytes holding the 8 supervisor arguments, then the job's own
// environment entries (KEY=VALUE, set over the server's environment), each ending in NUL.
// The first byte carries two descriptors (SCM_RIGHTS): the locked job folder and the
// write end of the job's pid pipe; they become the supervisor's fds 0 and 1. The server
// answers with the 4-byte pid of the supervisor, or -errno. It exits when the worker
// closes the socket.
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
#include <unistd.h>

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

int serve(void) {
    const int sock = 3;
    // Exits only when the worker closes the socket; a signal to the worker's process
    // group is the worker's business. SIGCHLD is read from a signalfd to reap children.
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
    for (;;) {
        struct pollfd fds[2] = { { sock, POLLIN, 0 }, { sigfd, POLLIN, 0 } };
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return 1;
        }
        if (fds[1].revents & POLLIN) {
            struct signalfd_siginfo info;
            while (read(sigfd, &info, sizeof info) == (ssize_t)sizeof info) {}
        }
        while (waitpid(-1, NULL, WNOHANG) > 0) {}
        if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char *payload = NULL;
        uint32_t length = 0;
        int received[2];
        if (receive(sock, &payload, &length, received) != 0) return 0; // the worker has gone
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
        close(received[0]);
        close(received[1]);
        free(payload);
        answer(sock, child > 0 ? (int32_t)child : (child == -EINVAL ? -EINVAL : -errno));
    }
}
