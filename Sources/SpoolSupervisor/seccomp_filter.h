// The seccomp filter of jobs under a policy.
#ifndef SPOOL_SECCOMP_FILTER_H
#define SPOOL_SECCOMP_FILTER_H
#include <stddef.h>

// Compiles the filter (once per process): refuses ptrace, process_vm_*, io_uring and
// setns; with `network_off`, every socket family but AF_UNIX. Returns 0, or -1 with `error`.
int seccomp_filter_prepare(int network_off, char *error, size_t size);

// Loads it into this process (no_new_privs must be set). Returns 0, or -1 with `error`.
int seccomp_filter_load(int network_off, char *error, size_t size);
#endif
