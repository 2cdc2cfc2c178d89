// Debian's libvterm-dev: the terminal emulator behind the `screen` tool (DESIGN.md,
// "Terminals"). libvterm reports the window title through a callback and queues its
// answers to terminal queries for a host to send; these helpers keep the title in a
// struct and drop the answers (the job's terminal is answered by no one, as under `script`).
#ifndef SPOOL_CVTERM_SHIM_H
#define SPOOL_CVTERM_SHIM_H

#include <stdlib.h>
#include <string.h>
#include <vterm.h>

typedef struct {
    VTerm *vt;
    VTermScreen *screen;
    char title[1024];
} spool_vterm;

static inline int spool_vterm_settermprop(VTermProp prop, VTermValue *val, void *user) {
    spool_vterm *t = (spool_vterm *)user;
    if (prop == VTERM_PROP_TITLE && val->string) {
        strncpy(t->title, val->string, sizeof t->title - 1);
        t->title[sizeof t->title - 1] = '\0';
    }
    return 1;
}

static inline void spool_vterm_discard(const char *s, size_t len, void *user) {
    (void)s; (void)len; (void)user;
}

static const VTermScreenCallbacks spool_vterm_callbacks = {
    .settermprop = spool_vterm_settermprop,
};

static inline spool_vterm *spool_vterm_new(int rows, int cols) {
    spool_vterm *t = (spool_vterm *)calloc(1, sizeof *t);
    if (!t) return NULL;
    t->vt = vterm_new(rows, cols);
    if (!t->vt) { free(t); return NULL; }
    vterm_set_utf8(t->vt, 1);
    vterm_output_set_callback(t->vt, spool_vterm_discard, NULL);
    t->screen = vterm_obtain_screen(t->vt);
    vterm_screen_set_callbacks(t->screen, &spool_vterm_callbacks, t);
    vterm_screen_reset(t->screen, 1);
    return t;
}

static inline void spool_vterm_free(spool_vterm *t) {
    if (!t) return;
    vterm_free(t->vt);
    free(t);
}

static inline void spool_vterm_write(spool_vterm *t, const char *bytes, size_t length) {
    vterm_input_write(t->vt, bytes, length);
}

static inline void spool_vterm_resize(spool_vterm *t, int rows, int cols) {
    vterm_set_size(t->vt, rows, cols);
}

// Row `row` as UTF-8 into `buffer`; returns its length.
static inline size_t spool_vterm_row(spool_vterm *t, int row, char *buffer, size_t length) {
    int rows, cols;
    vterm_get_size(t->vt, &rows, &cols);
    VTermRect rect = { .start_row = row, .end_row = row + 1, .start_col = 0, .end_col = cols };
    return vterm_screen_get_text(t->screen, buffer, length, rect);
}

static inline void spool_vterm_cursor(spool_vterm *t, int *row, int *col) {
    VTermPos pos;
    vterm_state_get_cursorpos(vterm_obtain_state(t->vt), &pos);
    *row = pos.row;
    *col = pos.col;
}

static inline void spool_vterm_size(spool_vterm *t, int *rows, int *cols) {
    vterm_get_size(t->vt, rows, cols);
}

#endif
