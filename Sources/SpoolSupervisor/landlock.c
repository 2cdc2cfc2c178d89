// Landlock for `--write` (and, under `--network off`, TCP and abstract sockets; under any
// policy, signals to processes outside the job). Hand-written: glibc has no wrappers and
// Debian's kernel header stops at ABI 2, so the later rights are defined here.
#define _GNU_SOURCE
#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LL_FS_WRITE_FILE  (1ULL << 1)
#define LL_FS_REMOVE_DIR  (1ULL << 4)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_CHAR   (1ULL << 6)
#define LL_FS_MAKE_DIR    (1ULL << 7)
#define LL_FS_MAKE_REG    (1ULL << 8)
#define LL_FS_MAKE_SOCK   (1ULL << 9)
#define LL_FS_MAKE_FIFO   (1ULL << 10)
#define LL_FS_MAKE_BLOCK  (1ULL << 11)
#define LL_FS_MAKE_SYM    (1ULL << 12)
#define LL_FS_REFER       (1ULL << 13)  // ABI 2
#define LL_FS_TRUNCATE    (1ULL << 14)  // ABI 3
#define LL_FS_IOCTL_DEV   (1ULL << 15)  // ABI 5
#define LL_NET_BIND_TCP    (1ULL << 0)  // ABI 4
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)  // ABI 6
#define LL_SCOPE_SIGNAL               (1ULL << 1)
#define LL_RULE_PATH_BENEATH 1

struct ll_ruleset_attr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};

struct ll_path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

int landlock_abi(void) {
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1U /* LANDLOCK_CREATE_RULESET_VERSION */);
    return abi < 0 ? 0 : (int)abi;
}

unsigned long long landlock_write_rights(int abi) {
    if (abi < 1) return 0;
    unsigned long long rights = LL_FS_WRITE_FILE | LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | LL_FS_MAKE_CHAR |
                                LL_FS_MAKE_DIR | LL_FS_MAKE_REG | LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO |
                                LL_FS_MAKE_BLOCK | LL_FS_MAKE_SYM;
    if (abi >= 2) rights |= LL_FS_REFER;
    if (abi >= 3) rights |= LL_FS_TRUNCATE;
    if (abi >= 5) rights |= LL_FS_IOCTL_DEV;
    return rights;
}

// The rights a rule on a single file may carry (the others apply to folders only).
unsigned long long landlock_file_rights(int abi) {
    return landlock_write_rights(abi) & (LL_FS_WRITE_FILE | LL_FS_TRUNCATE | LL_FS_IOCTL_DEV);
}

// The usual devices a job may write (DESIGN.md): a missing one is skipped.
static const char *const devices[] = {
    "/dev/null", "/dev/zero", "/dev/full", "/dev/tty", "/dev/ptmx", "/dev/pts", "/dev/random", "/dev/urandom",
};

static int add_path(int ruleset, const char *path, unsigned long long dir_rights, unsigned long long file_rights,
                    int required, char *error, size_t size) {
    int fd = open(path, O_PATH | O_CLOEXEC);
    if (fd < 0) {
        if (!required) return 0;
        snprintf(error, size, "cannot open %s for its Landlock rule: %s", path, strerror(errno));
        return -1;
    }
    struct ll_path_beneath_attr rule = { .allowed_access = dir_rights, .parent_fd = fd };
    long rc = syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &rule, 0);
    if (rc != 0 && errno == EINVAL) { // not a folder: only the rights of a file
        rule.allowed_access = file_rights;
        rc = syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &rule, 0);
    }
    int saved = errno;
    close(fd);
    if (rc != 0) {
        snprintf(error, size, "Landlock refused the rule for %s: %s", path, strerror(saved));
        return -1;
    }
    return 0;
}

int landlock_confine(const struct policy *p, int abi, const char *tmpdir, char *error, size_t size) {
    struct ll_ruleset_attr attr = { 0, 0, 0 };
    size_t attr_size = abi >= 6 ? 24 : abi >= 4 ? 16 : 8;
    if (p->write_count > 0) attr.handled_access_fs = landlock_write_rights(abi);
    if (p->network_off && abi >= 4) attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
    if (abi >= 6) attr.scoped = LL_SCOPE_SIGNAL | (p->network_off ? LL_SCOPE_ABSTRACT_UNIX_SOCKET : 0);
    if (!attr.handled_access_fs && !attr.handled_access_net && !attr.scoped) return 0;
    int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
    if (ruleset < 0) {
        snprintf(error, size, "cannot create the Landlock ruleset (ABI %d): %s", abi, strerror(errno));
        return -1;
    }
    int rc = 0;
    if (attr.handled_access_fs) {
        unsigned long long all = attr.handled_access_fs, files = landlock_file_rights(abi);
        for (int i = 0; rc == 0 && i < p->write_count; i++) rc = add_path(ruleset, p->write[i], all, files, 1, error, size);
        if (rc == 0 && tmpdir) rc = add_path(ruleset, tmpdir, all, files, 1, error, size);
        for (size_t i = 0; rc == 0 && i < sizeof devices / sizeof *devices; i++)
            rc = add_path(ruleset, devices[i], files, files, 0, error, size);
    }
    if (rc == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) {
        snprintf(error, size, "cannot enforce the Landlock ruleset: %s", strerror(errno));
        rc = -1;
    }
    close(ruleset);
    return rc;
}
