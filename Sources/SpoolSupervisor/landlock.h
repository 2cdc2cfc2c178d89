// Landlock: the kernel's own confinement of file writes, for an unprivileged process.
#ifndef SPOOL_LANDLOCK_H
#define SPOOL_LANDLOCK_H
#include <stddef.h>
#include "policy.h"

// The write rights a ruleset handles for an ABI version (`probe` prints them; a test
// checks them), and those a rule on a single file may carry.
unsigned long long landlock_write_rights(int abi);
unsigned long long landlock_file_rights(int abi);

// The kernel's Landlock ABI version; 0 when it has none (or it is disabled).
int landlock_abi(void);

// Restricts this process (and what it starts) to writing in the write roots, `tmpdir`
// and the usual devices; with network off (ABI 4+) no TCP bind or connect, and (ABI 6+)
// no signal to a process outside the job, nor (network off) an abstract socket outside
// it. Needs no_new_privs first. Returns 0, or -1 with `error` set.
int landlock_confine(const struct policy *p, int abi, const char *tmpdir, char *error, size_t size);
#endif
