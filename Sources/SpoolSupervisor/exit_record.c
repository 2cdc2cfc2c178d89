// The exit record's format and writer (exit_record.h).
#define _GNU_SOURCE
#include "exit_record.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

long long exit_record_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int exit_record_reserve(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/.exit.json.tmp", dir);
    // Not O_TRUNC: ext4 writes a file truncated to empty back to the disk at its last
    // close (auto_da_alloc), a flush per job that no promise needs. The reserve (a spare's,
    // emptied, or a new file) is overwritten instead and cut to its size only when longer.
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    char spaces[EXIT_RECORD_SIZE];
    memset(spaces, ' ', sizeof spaces);
    struct stat st;
    if (pwrite(fd, spaces, sizeof spaces, 0) != (ssize_t)sizeof spaces
        || fstat(fd, &st) != 0 || (st.st_size > (off_t)sizeof spaces && ftruncate(fd, (off_t)sizeof spaces) != 0))
        fprintf(stderr, "spool-supervisor: cannot reserve %s/exit.json: %s\n", dir, strerror(errno));
    return fd;
}

void exit_record_note_start(int fd, pid_t child, pid_t keeper, pid_t supervisor, int tty, long long started_ns) {
    if (fd < 0) return;
    char line[128];
    int n = snprintf(line, sizeof line, "start %d %d %d %d %lld\n", (int)child, (int)keeper, (int)supervisor, tty ? 1 : 0, started_ns);
    // Within the reserved spaces: the end, written later from offset 0, replaces it whole.
    if (pwrite(fd, line, (size_t)n, 0) != n) { /* a full disk: the running status.json still comes */ }
}

void exit_record_format(char *text, size_t size, pid_t pid, int have_status, int status, int timed_out,
                        int cancelled, long long started_ns, long long finished_ns, const char *counts,
                        const char *failure, const char *recorder) {
    char code[64], fail[400], by[96];
    if (!have_status)
        snprintf(code, sizeof code, "\"exitCode\":null,\"signal\":null");
    else if (WIFEXITED(status))
        snprintf(code, sizeof code, "\"exitCode\":%d,\"signal\":null", WEXITSTATUS(status));
    else
        snprintf(code, sizeof code, "\"exitCode\":null,\"signal\":%d", WTERMSIG(status));
    // Both texts are our own: no quotes inside.
    if (failure) snprintf(fail, sizeof fail, ",\"failure\":\"%s\"", failure); else fail[0] = '\0';
    if (recorder) snprintf(by, sizeof by, ",\"recordedBy\":\"%s\"", recorder); else by[0] = '\0';
    snprintf(text, size,
             "{\"pid\":%d,%s,\"timedOut\":%s,\"cancelled\":%s,\"startedAtNs\":%lld,\"finishedAtNs\":%lld%s%s%s}\n",
             (int)pid, code, timed_out ? "true" : "false", cancelled ? "true" : "false",
             started_ns, finished_ns, counts ? counts : "", fail, by);
}

static int try_write(const char *dir, int *fd, const char *text) {
    char tmp[4096], final[4096];
    snprintf(tmp, sizeof tmp, "%s/.exit.json.tmp", dir);
    snprintf(final, sizeof final, "%s/exit.json", dir);
    if (*fd < 0) *fd = open(tmp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0) return -1;
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t n = pwrite(*fd, text + off, len - off, (off_t)off);
        if (n < 0) { if (errno == EINTR) continue; return -1; }
        off += (size_t)n;
    }
    // Shrinking frees space; the JSON with trailing blanks would be valid as well.
    if (ftruncate(*fd, (off_t)len) != 0) return -1;
    return rename(tmp, final);
}

// Retries while the failure can pass (a full disk, say): the job's lock stays held
// meanwhile, so the job is reported as what it is (ended, unrecorded) rather than as
// lost. A job folder that is gone (removed by hand) has nobody left to tell.
int exit_record_write(const char *dir, int *fd, const char *text, int retry) {
    for (int attempt = 0;; attempt++) {
        if (try_write(dir, fd, text) == 0) return 0;
        int code = errno;
        int passing = code == ENOSPC || code == EDQUOT || code == EINTR || code == EAGAIN || code == ENOMEM || code == EIO;
        if (!retry || !passing || access(dir, F_OK) != 0) {
            fprintf(stderr, "spool-supervisor: cannot write %s/exit.json (%s); giving up\n", dir, strerror(code));
            return -1;
        }
        if (attempt == 0 || attempt % 60 == 0)
            fprintf(stderr, "spool-supervisor: cannot write %s/exit.json (%s); retrying every second\n", dir, strerror(code));
        sleep(1);
    }
}
