// The seccomp filter every job under a policy runs with, built with Debian's libseccomp
// (it knows each architecture's numbers and the x32 and 32-bit entry points, which a
// hand-built BPF program would have to get right by hand).
//
// Built once per process and kept as BPF: compiling it costs more than a job's whole
// start, and a fork server's children inherit the compiled program.
#define _GNU_SOURCE
#include "seccomp_filter.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sock_filter *program[2];
static unsigned short program_length[2];

// Refused under any policy: tracing or reading other processes (ptrace,
// process_vm_*), io_uring (its operations bypass seccomp's view of system calls), and
// setns (as root, it would leave the jobs' network namespace).
static const char *const refused[] = {
    "ptrace", "process_vm_readv", "process_vm_writev",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "setns",
};

static int build(int network_off, char *error, size_t size) {
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) { snprintf(error, size, "libseccomp could not start a filter"); return -1; }
    int rc = 0;
    // A program of another architecture (32-bit x86, whose socketcall would hide the
    // socket family) gets no system call at all rather than an unfiltered one.
    rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS));
    for (size_t i = 0; rc == 0 && i < sizeof refused / sizeof *refused; i++) {
        int nr = seccomp_syscall_resolve_name(refused[i]);
        if (nr == __NR_SCMP_ERROR) continue; // unknown to this architecture
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
    }
    if (rc == 0 && network_off) {
        // Every socket but AF_UNIX: no IP, no netlink, no packet sockets.
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX));
        if (rc == 0) rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(socketpair), 1, SCMP_A0(SCMP_CMP_NE, AF_UNIX));
    }
    int fds[2] = { -1, -1 };
    if (rc == 0 && pipe(fds) != 0) rc = -errno;
    if (rc == 0) rc = seccomp_export_bpf(ctx, fds[1]);
    seccomp_release(ctx);
    if (fds[1] >= 0) close(fds[1]);
    if (rc == 0) {
        // A filter is at most 4096 instructions; ours is a few dozen, well under a pipe's buffer.
        static char buffer[4096 * sizeof(struct sock_filter)];
        ssize_t n, total = 0;
        while ((n = read(fds[0], buffer + total, sizeof buffer - (size_t)total)) > 0) total += n;
        if (total <= 0 || total % (ssize_t)sizeof(struct sock_filter) != 0) rc = -EINVAL;
        else {
            program[network_off] = malloc((size_t)total);
            if (!program[network_off]) rc = -ENOMEM;
            else {
                memcpy(program[network_off], buffer, (size_t)total);
                program_length[network_off] = (unsigned short)(total / (ssize_t)sizeof(struct sock_filter));
            }
        }
    }
    if (fds[0] >= 0) close(fds[0]);
    if (rc != 0) { snprintf(error, size, "cannot build the seccomp filter: %s", strerror(-rc)); return -1; }
    return 0;
}

int seccomp_filter_prepare(int network_off, char *error, size_t size) {
    network_off = network_off ? 1 : 0;
    if (program[network_off]) return 0;
    return build(network_off, error, size);
}

int seccomp_filter_load(int network_off, char *error, size_t size) {
    network_off = network_off ? 1 : 0;
    if (seccomp_filter_prepare(network_off, error, size) != 0) return -1;
    struct sock_fprog prog = { program_length[network_off], program[network_off] };
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0) {
        snprintf(error, size, "cannot load the seccomp filter: %s", strerror(errno));
        return -1;
    }
    return 0;
}
