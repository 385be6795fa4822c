/*
 * Console line assembly for one guest. Guest output is collected per guest
 * and handed to the console sink only as whole lines of the form
 * "[name] text\n", so output of different guests never mixes mid-line.
 * Bytes other than printable ASCII and tab are shown as '.', so a guest
 * cannot send escape sequences to the system console; '\r' is dropped.
 */
#ifndef VMM_CONLINE_H
#define VMM_CONLINE_H

#include <vmm/vmm_common.h>

#define CONLINE_NAME_MAX 32u  /* guest name bytes kept in the prefix */
#define CONLINE_TEXT_MAX 160u /* text bytes per emitted line; longer lines are split */
/* "[" name "] " text "\n" */
#define CONLINE_BUF_MAX (CONLINE_NAME_MAX + 3u + CONLINE_TEXT_MAX + 1u)

/* Receives one complete line (prefix, text and '\n'); not NUL-terminated. */
typedef void (*conline_emit_fn)(void *ctx, const char *line, size_t len);

struct conline {
    char buf[CONLINE_BUF_MAX];
    size_t prefix_len; /* bytes of "[name] " at the start of buf */
    size_t len;        /* bytes used in buf, prefix included */
    conline_emit_fn emit;
    void *ctx;
};

void conline_init(struct conline *c, const char *name, conline_emit_fn emit, void *ctx);
void conline_putc(struct conline *c, uint8_t ch);
/* Emits a partial line (with a '\n' appended), e.g. when the guest stops. */
void conline_flush(struct conline *c);

#endif
