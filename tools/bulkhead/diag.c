/* Error collection for the spec loader and validator. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

void bh_diag_init(struct bh_diag *d, const char *file)
{
    memset(d, 0, sizeof(*d));
    d->file = file;
}

void bh_diag_free(struct bh_diag *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->msgs[i]);
    }
    free(d->msgs);
    d->msgs = NULL;
    d->n = 0;
    d->cap = 0;
}

static void push(struct bh_diag *d, char *msg)
{
    if (msg == NULL) {
        d->oom = true;
        return;
    }
    if (d->n == d->cap) {
        size_t ncap = d->cap ? d->cap * 2 : 16;
        char **nm = realloc(d->msgs, ncap * sizeof(*nm));
        if (nm == NULL) {
            free(msg);
            d->oom = true;
            return;
        }
        d->msgs = nm;
        d->cap = ncap;
    }
    d->msgs[d->n++] = msg;
}

static char *vformat(const char *prefix, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        return NULL;
    }
    size_t plen = strlen(prefix);
    char *s = malloc(plen + (size_t)n + 1);
    if (s == NULL) {
        return NULL;
    }
    memcpy(s, prefix, plen);
    vsnprintf(s + plen, (size_t)n + 1, fmt, ap);
    return s;
}

void bh_diag_add(struct bh_diag *d, const char *path, const char *prop, const char *fmt, ...)
{
    char prefix[512];
    if (prop == NULL) {
        snprintf(prefix, sizeof(prefix), "%s: %s: ", d->file, path);
    } else if (strcmp(path, "/") == 0) {
        snprintf(prefix, sizeof(prefix), "%s: /%s: ", d->file, prop);
    } else {
        snprintf(prefix, sizeof(prefix), "%s: %s/%s: ", d->file, path, prop);
    }
    va_list ap;
    va_start(ap, fmt);
    push(d, vformat(prefix, fmt, ap));
    va_end(ap);
}

void bh_diag_addraw(struct bh_diag *d, const char *fmt, ...)
{
    char prefix[512];
    snprintf(prefix, sizeof(prefix), "%s: ", d->file);
    va_list ap;
    va_start(ap, fmt);
    push(d, vformat(prefix, fmt, ap));
    va_end(ap);
}
