// The exit record (`jobs/<id>/exit.json`): its one format and its one writer, shared by
// the keeper, the supervisor standing in for it, and the fork server that adopts a
// command whose keeper and supervisor both died. The keeper hands its record to the
// worker first (main.c, "the hand-off"), and writes it here only when the worker did not
// file it.
#ifndef SPOOL_EXIT_RECORD_H
#define SPOOL_EXIT_RECORD_H
#include <sys/types.h>

#define EXIT_RECORD_SIZE 1024

// Creates `DIR/.exit.json.tmp` filled with spaces, so that the end can be recorded on a
// full disk; returns its descriptor, or -1.
int exit_record_reserve(const char *dir);

// Notes the start in the reserved file, before any end is written there: one line,
// "start CPID KPID SPID TTY STARTED_NS", the command's pid (its group), its keeper's,
// its supervisor's, 1 for a terminal's command (which leads its own session), and when
// it started. The worker writes the running status.json only once a job has run for a
// while, so this line is what tells a process recovering the job, with nobody left who
// knows it, which group to look for (JobRecords.startedStatus). No name is made for it.
void exit_record_note_start(int fd, pid_t child, pid_t keeper, pid_t supervisor, int tty, long long started_ns);

// Formats the record. `have_status` is 0 when the wait status is unknown. `counts` and
// `failure` may be NULL; `recorder` names who recorded it when that is not the keeper.
void exit_record_format(char *text, size_t size, pid_t pid, int have_status, int status, int timed_out,
                        int cancelled, long long started_ns, long long finished_ns, const char *counts,
                        const char *failure, const char *recorder);

// Writes TEXT into the reserved file (opened if *fd is -1) and renames it to exit.json.
// With `retry`, failures that can pass (a full disk) are retried every second; returns 0
// when written.
int exit_record_write(const char *dir, int *fd, const char *text, int retry);

long long exit_record_now_ns(void);
#endif
