#ifndef SPOOL_FILES_H
#define SPOOL_FILES_H

// rename(2) that never replaces what is at `to` (renameat2 with RENAME_NOREPLACE), which
// Swift's Glibc module does not export (it needs _GNU_SOURCE). Returns 0, or -1 with errno
// set (EEXIST when `to` exists; EINVAL where the file system does not support it).
int spool_rename_noreplace(const char *from, const char *to);

// Swaps `from` and `to` atomically (renameat2 with RENAME_EXCHANGE); both must exist.
// Returns 0, or -1 with errno set (ENOENT when one is missing; EINVAL where unsupported).
int spool_rename_exchange(const char *from, const char *to);

#endif
