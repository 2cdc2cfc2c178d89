#define _GNU_SOURCE
#include "policy.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "job_cgroup.h"
#include "landlock.h"
#include "seccomp_filter.h"

struct policy the_policy;
static int shared_network_namespace;

static int number(const char *text, long long *out) {
    char *end = NULL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < 0) return -1;
    *out = value;
    return 0;
}

int policy_parse(struct policy *p, int argc, char **argv, int start, char *error, size_t size) {
    int i = start;
    for (; i < argc; i += 2) {
        const char *flag = argv[i];
        if (strcmp(flag, "--") == 0) return i + 1;
        if (i + 1 >= argc) { snprintf(error, size, "policy flag %s has no value", flag); return -1; }
        const char *value = argv[i + 1];
        int bad = 0;
        if (strcmp(flag, "--write") == 0 || strcmp(flag, "--read-only") == 0) {
            int ro = flag[2] == 'r';
            int *count = ro ? &p->read_only_count : &p->write_count;
            if (value[0] != '/' || *count >= POLICY_MAX_PATHS) bad = 1;
            else (ro ? p->read_only : p->write)[(*count)++] = value;
        } else if (strcmp(flag, "--network") == 0) {
            if (strcmp(value, "off") == 0) p->network_off = 1;
            else if (strcmp(value, "on") == 0) p->network_off = 0;
            else bad = 1;
        } else if (strcmp(flag, "--memory") == 0) {
            bad = number(value, &p->memory);
        } else if (strcmp(flag, "--processes") == 0) {
            bad = number(value, &p->processes);
        } else if (strcmp(flag, "--file-size") == 0) {
            bad = number(value, &p->file_size);
        } else {
            snprintf(error, size, "unknown policy flag %s", flag);
            return -1;
        }
        if (bad) { snprintf(error, size, "bad value for %s: %s", flag, value); return -1; }
    }
    return i;
}

int policy_is_set(const struct policy *p) {
    return p->write_count > 0 || p->read_only_count > 0 || p->network_off || p->memory || p->processes || p->file_size;
}

// ---- probing ---------------------------------------------------------------------

// Tests only (documented in README, "Confining jobs"): SPOOL_TEST_UNENFORCEABLE names
// mechanisms (landlock, mount, network, seccomp, cgroup) the probe reports as missing,
// to show what --policy-required does on a kernel without them.
static int simulated_missing(const char *name) {
    const char *list = getenv("SPOOL_TEST_UNENFORCEABLE");
    if (!list) return 0;
    char copy[256];
    snprintf(copy, sizeof copy, "%s", list);
    for (char *save = NULL, *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save))
        if (strcmp(item, name) == 0) return 1;
    return 0;
}

void policy_probe(const struct policy *p, struct enforcement *e) {
    memset(e, 0, sizeof *e);
    e->landlock_abi = landlock_abi();
    e->cgroup_version = job_cgroup_available(p);
    // Namespaces, no_new_privs and seccomp change the process that tries them: a child tries.
    int fds[2];
    if (pipe(fds) == 0) {
        pid_t child = fork();
        if (child == 0) {
            close(fds[0]);
            char found[4] = { '0', '0', '0', '0' }, error[256];
            if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) == 0) found[0] = '1';
            if (unshare(CLONE_NEWNET) == 0) found[1] = '1';
            if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0) found[2] = '1';
            if (seccomp_filter_load(1, error, sizeof error) == 0) found[3] = '1';
            if (write(fds[1], found, sizeof found) < 0) _exit(1);
            _exit(0);
        }
        close(fds[1]);
        char found[4] = { 0 };
        if (child > 0 && read(fds[0], found, sizeof found) == (ssize_t)sizeof found) {
            e->mount_namespace = found[0] == '1';
            e->network_namespace = found[1] == '1' || shared_network_namespace;
            e->no_new_privs = found[2] == '1';
            e->seccomp = found[3] == '1';
        }
        close(fds[0]);
        if (child > 0) while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
    }
    if (simulated_missing("landlock")) e->landlock_abi = 0;
    if (simulated_missing("mount")) e->mount_namespace = 0;
    if (simulated_missing("network")) e->network_namespace = 0;
    if (simulated_missing("seccomp")) e->seccomp = 0;
    if (simulated_missing("cgroup")) e->cgroup_version = 0;
}

void policy_print(const struct policy *p, const struct enforcement *e) {
    (void)p;
    printf("{\"landlockABI\":%d,\"mountNamespace\":%s,\"networkNamespace\":%s,\"seccomp\":%s,"
           "\"cgroupVersion\":%d,\"noNewPrivs\":%s,\"landlockWriteRights\":%llu}\n",
           e->landlock_abi, e->mount_namespace ? "true" : "false", e->network_namespace ? "true" : "false",
           e->seccomp ? "true" : "false", e->cgroup_version, e->no_new_privs ? "true" : "false",
           landlock_write_rights(e->landlock_abi));
}

int policy_share_network_namespace(void) {
    if (simulated_missing("network")) { errno = ENOSYS; return -1; }
    if (unshare(CLONE_NEWNET) != 0) return -1;
    shared_network_namespace = 1;
    return 0;
}

// ---- applying --------------------------------------------------------------------

static struct enforcement known;
static int probed;

int policy_cgroup_version(const struct policy *p) {
    if (!probed) { policy_probe(p, &known); probed = 1; }
    return known.cgroup_version;
}

// Each mechanism the probe found is required: one that then fails ends the job (it never
// runs with less than was reported); one the probe did not find is reported as not
// enforced and skipped.
int policy_apply(const struct policy *p, const int *cgroup_procs, const char *tmpdir, char *error, size_t size) {
    if (!policy_is_set(p)) return 0;
    if (!probed) { policy_probe(p, &known); probed = 1; }
    for (int i = 0; cgroup_procs && i < 3 && cgroup_procs[i] >= 0; i++) {
        if (write(cgroup_procs[i], "0", 1) != 1) {
            snprintf(error, size, "cannot join the job's cgroup: %s", strerror(errno));
            return -1;
        }
    }
    int in_cgroup = cgroup_procs && cgroup_procs[0] >= 0;
    struct { int resource; long long value; } limits[3] = {
        { RLIMIT_FSIZE, p->file_size },
        { RLIMIT_AS, in_cgroup ? 0 : p->memory },
        { RLIMIT_NPROC, in_cgroup ? 0 : p->processes },
    };
    for (int i = 0; i < 3; i++) {
        if (limits[i].value <= 0) continue;
        struct rlimit limit = { (rlim_t)limits[i].value, (rlim_t)limits[i].value };
        if (setrlimit(limits[i].resource, &limit) != 0) {
            snprintf(error, size, "cannot set a resource limit: %s", strerror(errno));
            return -1;
        }
    }
    if (p->read_only_count > 0 && known.mount_namespace) {
        if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) != 0) {
            snprintf(error, size, "cannot make the job's mount namespace: %s", strerror(errno));
            return -1;
        }
        for (int i = 0; i < p->read_only_count; i++) {
            const char *dir = p->read_only[i];
            if (mount(dir, dir, NULL, MS_BIND | MS_REC, NULL) != 0 ||
                mount(NULL, dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0) {
                snprintf(error, size, "cannot make %s read-only: %s", dir, strerror(errno));
                return -1;
            }
        }
    }
    if (p->network_off && known.network_namespace && !shared_network_namespace && unshare(CLONE_NEWNET) != 0) {
        snprintf(error, size, "cannot make the job's network namespace: %s", strerror(errno));
        return -1;
    }
    if (tmpdir && setenv("TMPDIR", tmpdir, 1) != 0) {
        snprintf(error, size, "cannot set TMPDIR: %s", strerror(errno));
        return -1;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        snprintf(error, size, "cannot set no_new_privs: %s", strerror(errno));
        return -1;
    }
    if (known.landlock_abi > 0 && landlock_confine(p, known.landlock_abi, tmpdir, error, size) != 0) return -1;
    if (known.seccomp && seccomp_filter_load(p->network_off, error, size) != 0) return -1;
    return 0;
}

void policy_prepare(void) {
    if (!policy_is_set(&the_policy)) return;
    char error[256];
    policy_probe(&the_policy, &known);
    probed = 1;
    if (known.seccomp) seccomp_filter_prepare(the_policy.network_off, error, sizeof error);
}
