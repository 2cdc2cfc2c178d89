#ifndef SPOOL_SPAWN_H
#define SPOOL_SPAWN_H
#include <spawn.h>
#include <stdint.h>
#include <sys/types.h>

// Gives a child an empty signal mask and default dispositions for every signal (the
// spawning process's threads block some), with `extra_flags` (POSIX_SPAWN_*) set too.
// Returns 0, or an errno value.
int spool_spawnattr_clean(posix_spawnattr_t *attributes, short extra_flags);

// Sends one request to the fork server (`spool-supervisor serve`): the 4-byte length,
// then `payload`, with `lock_fd` and `pipe_fd` passed on the first byte (SCM_RIGHTS).
// Never raises SIGPIPE. Returns 0, or -errno.
int spool_fork_request(int sock, const char *payload, uint32_t length, int lock_fd, int pipe_fd);

// pipe2(O_CLOEXEC), which Swift's Glibc module does not export: both ends are
// close-on-exec from the start, so no child spawned meanwhile inherits one.
int spool_pipe_cloexec(int fds[2]);

// socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC).
int spool_socketpair_cloexec(int fds[2]);

// How a child stands, without reaping it (waitid with WNOWAIT): -1 when `pid` is not
// this process's child, 0 while it runs, 1 once it has ended, with its exit code in
// `*code` (or -1) and the signal that ended it in `*signal` (or 0). A recorder writes the
// exit before reaping, so the process (a zombie) and its group exist until the record does.
int spool_child_state(pid_t pid, int *code, int *signal);

// Reaps an ended child (waitpid). Returns 0, or -errno.
int spool_reap(pid_t pid);

// pidfd_open(2): a descriptor that polls readable once the process has ended (after its
// children were reparented). Returns it, or -errno.
int spool_pidfd_open(pid_t pid);

// Makes this process a child subreaper (prctl PR_SET_CHILD_SUBREAPER). Returns 0 or -errno.
int spool_become_subreaper(void);

// epoll for the worker's pipe reader (Swift's Glibc module does not export sys/epoll.h),
// with descriptors as the data, so Swift never touches the packed epoll_event.
// An instance (close-on-exec), or -errno.
int spool_epoll_create(void);
// Watches `fd` for input and hang-up. Returns 0, or -errno.
int spool_epoll_add(int epfd, int fd);
// Stops watching `fd`. Returns 0, or -errno.
int spool_epoll_remove(int epfd, int fd);
// Waits (without a timeout) for descriptors with input or hang-up and stores up to
// `capacity` of them in `fds`. Returns how many, 0 when interrupted, or -errno.
int spool_epoll_wait(int epfd, int *fds, int capacity);

#endif
