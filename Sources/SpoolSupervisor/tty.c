// See tty.h. Written against the kernel's interfaces directly (posix_openpt, TIOCSCTTY,
// /proc/<pid>/stat): no library does less, and this program links nothing it could fail on.
#define _GNU_SOURCE
#include "tty.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int tty_mode(const char *mode, unsigned short *cols, unsigned short *rows) {
    unsigned c = 0, r = 0;
    char end = 0;
    if (strncmp(mode, "tty:", 4) != 0 || sscanf(mode + 4, "%ux%u%c", &c, &r, &end) != 2) return 0;
    if (c < 1 || c > 1000 || r < 1 || r > 1000) return 0;
    *cols = (unsigned short)c;
    *rows = (unsigned short)r;
    return 1;
}

int tty_open(struct tty *t, unsigned short cols, unsigned short rows) {
    t->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (t->master < 0) return -1;
    if (grantpt(t->master) != 0 || unlockpt(t->master) != 0 || ptsname_r(t->master, t->slave, sizeof t->slave) != 0) {
        int saved = errno;
        close(t->master);
        t->master = -1;
        errno = saved;
        return -1;
    }
    struct winsize size = { .ws_row = rows, .ws_col = cols };
    ioctl(t->master, TIOCSWINSZ, &size);
    fcntl(t->master, F_SETFL, fcntl(t->master, F_GETFL) | O_NONBLOCK);
    return 0;
}

int tty_attach(const struct tty *t) {
    if (setsid() < 0) return -1;
    int slave = open(t->slave, O_RDWR); // the session's first terminal becomes its controlling one
    if (slave < 0) return -1;
    if (ioctl(slave, TIOCSCTTY, 0) != 0 && errno != EPERM) return -1;
    if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0) return -1;
    if (slave > 2) close(slave);
    setenv("TERM", "xterm-256color", 1);
    return 0;
}

void tty_feed(struct tty *t) {
    if (t->master < 0) return;
    for (;;) {
        if (t->offset < t->length) {
            ssize_t n = write(t->master, t->pending + t->offset, t->length - t->offset);
            if (n < 0) return; // EAGAIN: the terminal's input queue is full; poll says when
            t->offset += (size_t)n;
            continue;
        }
        t->offset = t->length = 0;
        if (t->input < 0) return;
        ssize_t n = read(t->input, t->pending, sizeof t->pending);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
        if (n <= 0) {
            close(t->input);
            t->input = -1;
            struct termios modes;
            if (tcgetattr(t->master, &modes) == 0 && modes.c_cc[VEOF] != _POSIX_VDISABLE) {
                t->pending[0] = (char)modes.c_cc[VEOF];
                t->length = 1;
                continue;
            }
            return;
        }
        t->length = (size_t)n;
    }
}

int tty_signal_session(pid_t sid, int sig) {
    DIR *proc = opendir("/proc");
    if (!proc) return kill(-sid, sig) == 0;
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(proc)) != NULL) {
        char *end;
        long pid = strtol(entry->d_name, &end, 10);
        if (*end != '\0' || pid <= 0) continue;
        char path[64], text[512];
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t n = read(fd, text, sizeof text - 1);
        close(fd);
        if (n <= 0) continue;
        text[n] = '\0';
        // "pid (comm) state ppid pgrp session ...": comm may hold anything, so parse
        // after its last ')'.
        char *close_paren = strrchr(text, ')');
        char state;
        int ppid, pgrp, session;
        if (!close_paren || sscanf(close_paren + 1, " %c %d %d %d", &state, &ppid, &pgrp, &session) != 4) continue;
        if (session == sid && kill((pid_t)pid, sig) == 0) count++;
    }
    closedir(proc);
    return count;
}
