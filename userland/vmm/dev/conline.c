/* Console line assembly: see vmm/conline.h. */
#include <vmm/conline.h>

void conline_init(struct conline *c, const char *name, conline_emit_fn emit, void *ctx)
{
    size_t n = 0;

    c->emit = emit;
    c->ctx = ctx;
    c->buf[n++] = '[';
    for (size_t i = 0; name != NULL && name[i] != '\0' && i < CONLINE_NAME_MAX; i++) {
        char ch = name[i];
        /* The name comes from the spec, but keep the console clean anyway. */
        c->buf[n++] = (ch >= 0x20 && ch < 0x7f) ? ch : '.';
    }
    c->buf[n++] = ']';
    c->buf[n++] = ' ';
    c->prefix_len = n;
    c->len = n;
}

static void conline_emit(struct conline *c)
{
    c->buf[c->len++] = '\n';
    if (c->emit != NULL) {
        c->emit(c->ctx, c->buf, c->len);
    }
    c->len = c->prefix_len;
}

void conline_putc(struct conline *c, uint8_t ch)
{
    if (ch == '\r') {
        return;
    }
    if (ch == '\n') {
        conline_emit(c);
        return;
    }
    if (c->len - c->prefix_len >= CONLINE_TEXT_MAX) {
        /* Over-long line: emit what we have; the rest continues on a new line. */
        conline_emit(c);
    }
    c->buf[c->len++] = (char)((ch == '\t' || (ch >= 0x20 && ch < 0x7f)) ? ch : '.');
}

void conline_flush(struct conline *c)
{
    if (c->len > c->prefix_len) {
        conline_emit(c);
    }
}
