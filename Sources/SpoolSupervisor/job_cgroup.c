#define _GNU_SOURCE
#include "job_cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

// The folder of this process's cgroup that holds `controller` (v1), or its v2 folder
// when `controller` is NULL, read from /proc/self/cgroup: "ID:CONTROLLERS:PATH" lines,
// CONTROLLERS compared one by one (never as a prefix).
static int own_folder(const char *controller, char *out, size_t size) {
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f) return -1;
    char line[2048];
    int found = -1;
    while (found != 0 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *first = strchr(line, ':');
        if (!first) continue;
        char *second = strchr(first + 1, ':');
        if (!second) continue;
        *second = '\0';
        const char *controllers = first + 1, *path = second + 1;
        if (controller == NULL) {
            if (first != line + 1 || line[0] != '0' || controllers[0] != '\0') continue; // "0::PATH"
            snprintf(out, size, "/sys/fs/cgroup%s", strcmp(path, "/") == 0 ? "" : path);
            found = 0;
            continue;
        }
        char list[256];
        snprintf(list, sizeof list, "%s", controllers);
        for (char *save = NULL, *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
            if (strcmp(name, controller) != 0) continue;
            snprintf(out, size, "/sys/fs/cgroup/%s%s", controllers, strcmp(path, "/") == 0 ? "" : path);
            found = 0;
        }
    }
    fclose(f);
    return found;
}

static int write_text(const char *dir, const char *file, const char *text) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

// Whether the v2 folder `dir` lets its children use every controller the policy needs.
static int delegates(const char *dir, const struct policy *p) {
    char path[1200], text[512] = { 0 };
    snprintf(path, sizeof path, "%s/cgroup.subtree_control", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n < 0) return 0;
    int pids = 0, memory = 0;
    for (char *save = NULL, *name = strtok_r(text, " \n", &save); name; name = strtok_r(NULL, " \n", &save)) {
        if (strcmp(name, "pids") == 0) pids = 1;
        if (strcmp(name, "memory") == 0) memory = 1;
    }
    return (!p->processes || pids) && (!p->memory || memory);
}

// The parent folders job folders go in: v2 (one folder for both), else v1.
static int parents(const struct policy *p, char *pids, char *memory, size_t size) {
    char v2[1024];
    if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 && own_folder(NULL, v2, sizeof v2) == 0 && delegates(v2, p)) {
        snprintf(pids, size, "%s", v2);
        snprintf(memory, size, "%s", v2);
        return 2;
    }
    pids[0] = memory[0] = '\0';
    if (p->processes && own_folder("pids", pids, size) != 0) return 0;
    if (p->memory && own_folder("memory", memory, size) != 0) return 0;
    return 1;
}

int job_cgroup_available(const struct policy *p) {
    if (!p->memory && !p->processes) return 0;
    struct job_cgroup c;
    char error[256], name[64];
    snprintf(name, sizeof name, "spool-probe-%d", (int)getpid());
    if (job_cgroup_create(&c, p, name, error, sizeof error) != 0) return 0;
    int version = c.version;
    job_cgroup_remove(&c);
    return version;
}

static int make_folder(const char *parent, const char *name, char *out, size_t size) {
    snprintf(out, size, "%s/%s", parent, name);
    if (mkdir(out, 0755) == 0 || errno == EEXIST) return 0;
    return -1;
}

int job_cgroup_create(struct job_cgroup *c, const struct policy *p, const char *name, char *error, size_t size) {
    memset(c, 0, sizeof *c);
    c->procs[0] = c->procs[1] = c->procs[2] = -1;
    c->events = -1;
    char pids_parent[1024], memory_parent[1024];
    int version = parents(p, pids_parent, memory_parent, sizeof pids_parent);
    if (version == 0) { snprintf(error, size, "no cgroup of this process holds the pids and memory controllers"); return -1; }
    char number[32];
    int n = 0;
    if (p->processes) {
        if (make_folder(pids_parent, name, c->pids, sizeof c->pids) != 0) goto fail;
        snprintf(number, sizeof number, "%lld", p->processes);
        if (write_text(c->pids, "pids.max", number) != 0) goto fail;
    }
    if (p->memory) {
        if (version == 2 && p->processes) snprintf(c->memory, sizeof c->memory, "%s", c->pids);
        else if (make_folder(memory_parent, name, c->memory, sizeof c->memory) != 0) goto fail;
        snprintf(number, sizeof number, "%lld", p->memory);
        if (write_text(c->memory, version == 2 ? "memory.max" : "memory.limit_in_bytes", number) != 0) goto fail;
        // Swap must not stretch the limit (absent when the kernel does not account swap).
        if (version == 2) write_text(c->memory, "memory.swap.max", "0");
        else write_text(c->memory, "memory.memsw.limit_in_bytes", number);
    }
    c->version = version;
    const char *folders[2] = { c->pids, c->memory };
    for (int i = 0; i < 2; i++) {
        if (folders[i][0] == '\0' || (i == 1 && strcmp(folders[1], folders[0]) == 0)) continue;
        char path[1200];
        snprintf(path, sizeof path, "%s/cgroup.procs", folders[i]);
        if ((c->procs[n++] = open(path, O_WRONLY | O_CLOEXEC)) < 0) goto fail;
    }
    if (c->pids[0]) {
        char path[1200];
        snprintf(path, sizeof path, "%s/pids.events", c->pids);
        c->events = open(path, O_RDONLY | O_CLOEXEC);
    }
    return 0;
fail:
    snprintf(error, size, "cannot make the job's cgroup under %s: %s", p->processes ? pids_parent : memory_parent, strerror(errno));
    c->version = version;
    job_cgroup_remove(c);
    return -1;
}

int job_cgroup_find(struct job_cgroup *c, const struct policy *p, const char *name) {
    memset(c, 0, sizeof *c);
    c->procs[0] = c->procs[1] = c->procs[2] = -1;
    c->events = -1;
    char pids_parent[1024], memory_parent[1024];
    int version = parents(p, pids_parent, memory_parent, sizeof pids_parent);
    if (version == 0) return -1;
    struct stat st;
    if (p->processes) {
        snprintf(c->pids, sizeof c->pids, "%s/%s", pids_parent, name);
        if (stat(c->pids, &st) != 0) c->pids[0] = '\0';
    }
    if (p->memory) {
        snprintf(c->memory, sizeof c->memory, "%s/%s", memory_parent, name);
        if (stat(c->memory, &st) != 0) c->memory[0] = '\0';
    }
    c->version = version;
    return c->pids[0] || c->memory[0] ? 0 : -1;
}

// The number after `key` in a "key value" lines file (0 when absent). Read through
// `open_fd` when given: a read is what re-arms a polled cgroup file's notification.
static long long counter(const char *dir, const char *file, const char *key, int open_fd) {
    char path[1200], text[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open_fd >= 0 ? open_fd : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    if (fd != open_fd) close(fd);
    if (n <= 0) return 0;
    text[n] = '\0';
    size_t len = strlen(key);
    for (char *line = text; line && *line; ) {
        char *next = strchr(line, '\n');
        if (next) *next++ = '\0';
        if (strncmp(line, key, len) == 0 && line[len] == ' ') return atoll(line + len + 1);
        line = next;
    }
    return 0;
}

enum job_limit job_cgroup_hit(const struct job_cgroup *c) {
    if (c->version == 0) return LIMIT_NONE;
    if (c->memory[0] && counter(c->memory, c->version == 2 ? "memory.events" : "memory.oom_control", "oom_kill", -1) > 0)
        return LIMIT_MEMORY;
    if (c->pids[0] && counter(c->pids, "pids.events", "max", c->events) > 0) return LIMIT_PROCESSES;
    return LIMIT_NONE;
}

static int kill_all(const char *dir) {
    char path[1200];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    FILE *f = fopen(path, "re");
    if (!f) return 0;
    int any = 0;
    long pid;
    while (fscanf(f, "%ld", &pid) == 1) { kill((pid_t)pid, SIGKILL); any = 1; }
    fclose(f);
    return any;
}

void job_cgroup_kill(const struct job_cgroup *c) {
    if (c->pids[0]) kill_all(c->pids);
    if (c->memory[0]) kill_all(c->memory);
}

// Kills every process in `dir` until none is left (processes that fork while being
// killed are caught on the next pass), for at most two seconds.
static void empty(const char *dir) {
    for (int pass = 0; pass < 200; pass++) {
        if (!kill_all(dir)) return;
        struct timespec tick = { 0, 10 * 1000 * 1000 };
        nanosleep(&tick, NULL);
    }
}

void job_cgroup_remove(struct job_cgroup *c) {
    for (int i = 0; i < 3; i++) if (c->procs[i] >= 0) { close(c->procs[i]); c->procs[i] = -1; }
    if (c->events >= 0) { close(c->events); c->events = -1; }
    const char *folders[2] = { c->pids, c->memory };
    for (int i = 0; i < 2; i++) {
        if (folders[i][0] == '\0') continue;
        if (i == 1 && strcmp(folders[1], folders[0]) == 0) continue;
        empty(folders[i]);
        // A killed process leaves the cgroup when it has been reaped; the folder can be
        // removed only then, so retry briefly.
        for (int tries = 0; tries < 100 && rmdir(folders[i]) != 0 && errno == EBUSY; tries++) {
            struct timespec tick = { 0, 10 * 1000 * 1000 };
            nanosleep(&tick, NULL);
        }
    }
    c->version = 0;
}
