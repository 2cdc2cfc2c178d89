// The job policy (DESIGN.md, "Policy"): what the person who started Spool allows a job
// to touch, applied by the kernel in the command's own process just before its exec, so
// the shell and everything it starts inherit it.
//
// The worker passes it as flag pairs after the supervisor's arguments (and to
// `serve`, `probe` and `confine`); they come from the operator, never from a request.
#ifndef SPOOL_POLICY_H
#define SPOOL_POLICY_H
#include <stddef.h>
#include <sys/types.h>

#define POLICY_MAX_PATHS 64

struct policy {
    const char *write[POLICY_MAX_PATHS];
    int write_count;
    const char *read_only[POLICY_MAX_PATHS];
    int read_only_count;
    int network_off;
    long long memory;      // bytes; 0 = none
    long long processes;   // 0 = none
    long long file_size;   // bytes; 0 = none
};

// What the kernel here gives, found by trying each mechanism in a child process.
struct enforcement {
    int landlock_abi;          // 0 when Landlock is unavailable
    int mount_namespace;       // a read-only bind mount in a mount namespace of the job's own
    int network_namespace;     // a network namespace of the jobs' own
    int seccomp;               // a seccomp filter can be loaded
    int cgroup_version;        // 1 or 2 when a cgroup per job can be made, else 0
    int no_new_privs;
};

// The policy in force (parsed once; a forked supervisor inherits it).
extern struct policy the_policy;

// Parses flag pairs from argv[start..argc); returns the index after the last one
// consumed (a "--" is consumed and ends the flags), or -1 with `error` set.
int policy_parse(struct policy *p, int argc, char **argv, int start, char *error, size_t size);

int policy_is_set(const struct policy *p);

// Tries every mechanism the policy needs (in a child, so nothing here changes).
void policy_probe(const struct policy *p, struct enforcement *e);

// Prints the enforcement as one JSON object (for `spool-supervisor probe`).
void policy_print(const struct policy *p, const struct enforcement *e);

// The network namespace the jobs of a fork server share (made once: per job, one costs
// about 0.4 ms). Returns 0 when made; jobs then skip their own.
int policy_share_network_namespace(void);

// The cgroup version job folders are made in (0: rlimits), as the probe found it.
int policy_cgroup_version(const struct policy *p);

// In the command's process, before exec: joins the job's cgroup (`cgroup_procs` are
// descriptors to write "0" to, -1 ends), sets rlimits, the read-only mounts, the network,
// no_new_privs, Landlock (with `tmpdir` writable) and seccomp. Returns 0, or -1 with
// `error` set: the command must then not run.
int policy_apply(const struct policy *p, const int *cgroup_procs, const char *tmpdir, char *error, size_t size);

// For a fork server: probe and compile the filter once, so each job's child only applies.
void policy_prepare(void);

#endif
