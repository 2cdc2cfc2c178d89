// A cgroup per job for `--job-memory` and `--job-processes`: made by the keeper before
// it forks the command, joined by the command before its exec, watched while it runs,
// and emptied and removed when it has ended. cgroup v2 where the keeper's own cgroup
// delegates the controllers; otherwise cgroup v1's `pids` and `memory` hierarchies
// (this machine kind mounts those). Without either, the limits are rlimits (policy.c).
#ifndef SPOOL_JOB_CGROUP_H
#define SPOOL_JOB_CGROUP_H
#include <stddef.h>
#include "policy.h"

enum job_limit { LIMIT_NONE = 0, LIMIT_PROCESSES = 1, LIMIT_MEMORY = 2 };

struct job_cgroup {
    int version;              // 0: none made
    char pids[1024];          // the job's folder in the pids hierarchy ("" if none)
    char memory[1024];        // in the memory hierarchy (v2: the same folder)
    int procs[3];             // cgroup.procs of each folder, for the command to join; -1 ends
    int events;               // pids.events, polled for POLLPRI (v2 notifies; v1 does not)
};

// Which cgroup version this process can make job folders in for the policy's limits
// (0: none). Makes and removes a probe folder.
int job_cgroup_available(const struct policy *p);

// Makes the job's folders, named `name`, with the policy's limits. Returns 0, or -1 with
// `error` set (the job must then not run: its limits would not hold).
int job_cgroup_create(struct job_cgroup *c, const struct policy *p, const char *name, char *error, size_t size);

// Finds the folders a job named `name` was given (for removing them later, from another
// process). Returns 0 when at least one exists.
int job_cgroup_find(struct job_cgroup *c, const struct policy *p, const char *name);

// The limit the job has hit so far, if any.
enum job_limit job_cgroup_hit(const struct job_cgroup *c);

// Sends SIGKILL to every process in the job's folders, once.
void job_cgroup_kill(const struct job_cgroup *c);

// Kills whatever of the job is left in its folders and removes them.
void job_cgroup_remove(struct job_cgroup *c);
#endif
