/*
 * bh-qemu-run: boot an image in QEMU headless, pass when every --expect text
 * appears on the console and no panic (or --reject text) does.
 *
 * Exit status: 0 pass, 1 timeout, 2 panic/rejected text, 3 QEMU exited first,
 * 4 could not run QEMU, 64 usage.
 */
#include <qemu.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TEXTS 64

static void usage(FILE *f)
{
    fprintf(f,
            "usage: bh-qemu-run --image IMAGE [--machine M] [--cpu CPU] [--smp N] [--mem MiB]\n"
            "                   [--timeout SECONDS] [--expect TEXT]... [--reject TEXT]...\n"
            "                   [--log FILE] [--icount] [--quiet] [--interactive] [--allow-panic]\n"
            "                   [--send-after LINE TEXT]...\n"
            "                   [-- QEMU-ARGS...]\n"
            "exit: 0 pass, 1 timeout, 2 panic or rejected text, 3 QEMU exited early,\n"
            "      4 QEMU could not run, 64 usage\n"
            "--send-after LINE TEXT: once LINE appeared on the console (and earlier TEXTs\n"
            "      were sent), write TEXT to the serial input; \\n, \\r, \\\\ are escapes\n");
}

int main(int argc, char **argv)
{
    struct bh_qemu_opts o;
    memset(&o, 0, sizeof(o));
    const char *expect[MAX_TEXTS];
    const char *reject[MAX_TEXTS];
    const char *send[MAX_TEXTS];
    const char *send_after[MAX_TEXTS];
    o.expect = expect;
    o.reject = reject;
    o.send = send;
    o.send_after = send_after;
    o.timeout_s = 60;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--") == 0) {
            o.extra = (const char *const *)&argv[i + 1];
            o.nextra = (size_t)(argc - i - 1);
            break;
        } else if (strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--icount") == 0) {
            o.icount = true;
        } else if (strcmp(a, "--quiet") == 0) {
            o.quiet = true;
        } else if (strcmp(a, "--allow-panic") == 0) {
            o.allow_panic = true;
        } else if (strcmp(a, "--interactive") == 0) {
            o.interactive = true;
        } else if (v == NULL) {
            usage(stderr);
            return 64;
        } else if (strcmp(a, "--image") == 0) {
            o.image = v;
            i++;
        } else if (strcmp(a, "--machine") == 0) {
            o.machine = v;
            i++;
        } else if (strcmp(a, "--cpu") == 0) {
            o.cpu = v;
            i++;
        } else if (strcmp(a, "--smp") == 0) {
            o.smp = (unsigned)atoi(v);
            i++;
        } else if (strcmp(a, "--mem") == 0) {
            o.mem_mib = (unsigned)atoi(v);
            i++;
        } else if (strcmp(a, "--timeout") == 0) {
            o.timeout_s = atof(v);
            i++;
        } else if (strcmp(a, "--log") == 0) {
            o.log_path = v;
            i++;
        } else if (strcmp(a, "--expect") == 0 && o.nexpect < MAX_TEXTS) {
            expect[o.nexpect++] = v;
            i++;
        } else if (strcmp(a, "--send-after") == 0 && i + 2 < argc && o.nsend < MAX_TEXTS) {
            send_after[o.nsend] = v;
            send[o.nsend++] = argv[i + 2];
            i += 2;
        } else if (strcmp(a, "--reject") == 0 && o.nreject < MAX_TEXTS) {
            reject[o.nreject++] = v;
            i++;
        } else {
            usage(stderr);
            return 64;
        }
    }
    if (o.image == NULL) {
        usage(stderr);
        return 64;
    }
    return (int)bh_qemu_run(&o);
}
