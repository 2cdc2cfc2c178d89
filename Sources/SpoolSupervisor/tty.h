// A job on a pseudo-terminal (DESIGN.md, "Terminals"): the keeper holds the master,
// copies what the command writes into the job's stdout file and what arrives in the
// job's stdin FIFO into the terminal.
#ifndef SPOOL_TTY_H
#define SPOOL_TTY_H

#include <sys/types.h>

struct tty {
    int master;           // the pty's master, or -1 when the job has no terminal
    char slave[64];       // its /dev/pts/N
    int input;            // the stdin FIFO's read end; -1 once input has ended
    char pending[4096];   // input read from the FIFO, not yet taken by the terminal
    size_t length, offset;
};

// Parses the stdin mode "tty:COLSxROWS"; 1 when it names a terminal.
int tty_mode(const char *mode, unsigned short *cols, unsigned short *rows);

// Opens a pty of the given size into `t` (master close-on-exec, non-blocking).
int tty_open(struct tty *t, unsigned short cols, unsigned short rows);

// In the command's process, before exec: a new session with the terminal as its
// controlling terminal on 0, 1 and 2, and TERM set. Returns -1 (errno set) on failure.
int tty_attach(const struct tty *t);

// Moves input along: FIFO -> pending -> master, without blocking. At end of input (the
// FIFO's last writer gone, which is `stdin.eof`), sends the terminal's end-of-file
// character once, as a person pressing Ctrl-D would.
void tty_feed(struct tty *t);

// Signals every process of session `sid` (the terminal's session: background jobs of an
// interactive shell included). Returns how many were signalled.
int tty_signal_session(pid_t sid, int sig);

#endif
