// Debian's libseccomp-dev (the supervisor's seccomp filter: seccomp_filter.c).
#include <seccomp.h>
