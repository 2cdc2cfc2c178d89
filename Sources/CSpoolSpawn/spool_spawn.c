// Spawn attributes, and socket and pipe calls whose flags and ancillary data (CMSG_*
// macros) Swift cannot express on Glibc.
#define _GNU_SOURCE
#include <sys/epoll.h>
#include "spool_spawn.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int send_all(int sock, const char *bytes, size_t length) {
    size_t off = 0;
    while (off < length) {
        ssize_t n = send(sock, bytes + off, length - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -errno;
        off += (size_t)n;
    }
    return 0;
}

int spool_fork_request(int sock, const char *payload, uint32_t length, int lock_fd, int pipe_fd) {
    unsigned char head[4] = { (unsigned char)length, (unsigned char)(length >> 8), (unsigned char)(length >> 16), (unsigned char)(length >> 24) };
    int fds[2] = { lock_fd, pipe_fd };
    char control[CMSG_SPACE(sizeof fds)];
    memset(control, 0, sizeof control);
    struct iovec iov = { head, 1 };
    struct msghdr msg = { 0 };
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof fds);
    memcpy(CMSG_DATA(c), fds, sizeof fds);
    ssize_t n;
    do { n = sendmsg(sock, &msg, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    int rc = send_all(sock, (const char *)head + 1, sizeof head - 1);
    if (rc != 0) return rc;
    return send_all(sock, payload, length);
}

int spool_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : -errno;
}

int spool_socketpair_cloexec(int fds[2]) {
    return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0 ? 0 : -errno;
}

int spool_spawnattr_clean(posix_spawnattr_t *attributes, short extra_flags) {
    sigset_t empty, all;
    sigemptyset(&empty);
    sigfillset(&all);
    int rc = posix_spawnattr_setsigmask(attributes, &empty);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(attributes, &all);
    if (rc == 0) rc = posix_spawnattr_setflags(attributes, (short)(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | extra_flags));
    return rc;
}

int spool_child_state(pid_t pid, int *code, int *signal) {
    siginfo_t info;
    memset(&info, 0, sizeof info);
    int rc;
    do { rc = waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT); } while (rc < 0 && errno == EINTR);
    if (rc < 0) return -1;
    if (info.si_pid == 0) return 0;
    int exited = info.si_code == CLD_EXITED;
    *code = exited ? info.si_status : -1;
    *signal = exited ? 0 : info.si_status;
    return 1;
}

int spool_reap(pid_t pid) {
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -errno;
    }
    return 0;
}

int spool_pidfd_open(pid_t pid) {
    long fd = syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -errno : (int)fd;
}

int spool_become_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 ? 0 : -errno;
}

int spool_epoll_create(void) {
    int epfd = epoll_create1(EPOLL_CLOEXEC);
    return epfd >= 0 ? epfd : -errno;
}

int spool_epoll_add(int epfd, int fd) {
    struct epoll_event event = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = fd };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event) == 0 ? 0 : -errno;
}

int spool_epoll_remove(int epfd, int fd) {
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL) == 0 ? 0 : -errno;
}

int spool_epoll_wait(int epfd, int *fds, int capacity) {
    struct epoll_event events[64];
    if (capacity > 64) capacity = 64;
    int ready = epoll_wait(epfd, events, capacity, -1);
    if (ready < 0) return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < ready; i++) fds[i] = events[i].data.fd;
    return ready;
}
