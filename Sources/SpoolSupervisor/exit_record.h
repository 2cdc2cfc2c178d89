// The exit record (`jobs/<id>/exit.json`): its one format and its one writer, shared by
// the keeper, the supervisor standing in for it, and the fork server that adopts a
// command whose keeper and supervisor both died.
#ifndef SPOOL_EXIT_RECORD_H
#define SPOOL_EXIT_RECORD_H
#include <sys/types.h>

#define EXIT_RECORD_SIZE 1024

// Creates `DIR/.exit.json.tmp` filled with spaces, so that the end can be recorded on a
// full disk; returns its descriptor, or -1.
int exit_record_reserve(const char *dir);

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
