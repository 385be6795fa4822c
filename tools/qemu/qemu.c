/*
 * Boots an image under QEMU and watches its console: the runner behind the
 * QEMU tests and `bulkhead run`.
 */
#define _GNU_SOURCE
#include "qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 96

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t build_argv(const struct bh_qemu_opts *o, char **argv, char *buf, size_t bufsz)
{
    size_t n = 0;
    snprintf(buf, bufsz, "%u", o->smp ? o->smp : 1u);
    char *smp = buf;
    char *mem = buf + 32;
    snprintf(mem, bufsz - 32, "%uM", o->mem_mib ? o->mem_mib : 1024u);
    argv[n++] = "qemu-system-aarch64";
    argv[n++] = "-M";
    argv[n++] = (char *)(o->machine ? o->machine : "virt,virtualization=on,gic-version=3");
    argv[n++] = "-cpu";
    argv[n++] = (char *)(o->cpu ? o->cpu : "cortex-a72");
    argv[n++] = "-smp";
    argv[n++] = smp;
    argv[n++] = "-m";
    argv[n++] = mem;
    argv[n++] = "-kernel";
    argv[n++] = (char *)o->image;
    argv[n++] = "-no-reboot";
    if (o->interactive) {
        argv[n++] = "-nographic";
    } else {
        argv[n++] = "-display";
        argv[n++] = "none";
        argv[n++] = "-monitor";
        argv[n++] = "none";
        argv[n++] = "-serial";
        argv[n++] = "stdio";
    }
    if (o->icount) {
        argv[n++] = "-icount";
        argv[n++] = "shift=0,sleep=off"; /* 1 ns per instruction; idle skips ahead */
    }
    for (size_t i = 0; i < o->nextra && n < MAX_ARGS - 1; i++) {
        argv[n++] = (char *)o->extra[i];
    }
    argv[n] = NULL;
    return n;
}

static void stop_child(pid_t pid)
{
    kill(pid, SIGTERM);
    for (int i = 0; i < 50; i++) {
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            return;
        }
        usleep(20000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

static bool all_seen(const struct bh_qemu_opts *o, const char *log)
{
    for (size_t i = 0; i < o->nexpect; i++) {
        if (strstr(log, o->expect[i]) == NULL) {
            return false;
        }
    }
    return true;
}

static const char *rejected(const struct bh_qemu_opts *o, const char *log)
{
    if (!o->allow_panic && strstr(log, BH_PANIC_MARKER) != NULL) {
        return BH_PANIC_MARKER;
    }
    for (size_t i = 0; i < o->nreject; i++) {
        if (strstr(log, o->reject[i]) != NULL) {
            return o->reject[i];
        }
    }
    return NULL;
}

/* Writes text to fd with the escapes \n, \r and \\ expanded. */
static bool send_text(int fd, const char *text)
{
    char buf[512];
    size_t n = 0;
    for (size_t i = 0; text[i] != '\0' && n < sizeof(buf); i++) {
        char c = text[i];
        if (c == '\\' && text[i + 1] != '\0') {
            char e = text[++i];
            c = e == 'n' ? '\n' : e == 'r' ? '\r' : e;
        }
        buf[n++] = c;
    }
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, buf + off, n - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return false;
        }
        off += (size_t)w;
    }
    return true;
}

static enum bh_qemu_result run_interactive(char **argv)
{
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return BH_QEMU_ERROR;
    }
    if (pid == 0) {
        execvp(argv[0], argv);
        fprintf(stderr, "cannot start %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) != 127 ? BH_QEMU_PASS : BH_QEMU_ERROR;
}

enum bh_qemu_result bh_qemu_run(const struct bh_qemu_opts *o)
{
    char *argv[MAX_ARGS];
    char numbuf[64];
    build_argv(o, argv, numbuf, sizeof(numbuf));
    if (o->interactive) {
        return run_interactive(argv);
    }

    int out[2];
    int in[2] = {-1, -1};
    if (pipe(out) != 0 || (o->nsend > 0 && pipe(in) != 0)) {
        perror("pipe");
        return BH_QEMU_ERROR;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return BH_QEMU_ERROR;
    }
    if (pid == 0) {
        if (in[0] >= 0) {
            dup2(in[0], 0); /* the serial port's input: written by --send */
            close(in[0]);
            close(in[1]);
        } else {
            int devnull = open("/dev/null", O_RDONLY);
            dup2(devnull, 0);
        }
        dup2(out[1], 1);
        dup2(out[1], 2);
        close(out[0]);
        close(out[1]);
        execvp(argv[0], argv);
        fprintf(stderr, "cannot start %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(out[1]);
    if (in[0] >= 0) {
        close(in[0]);
    }
    size_t sent = 0;
    if (in[1] >= 0) {
        signal(SIGPIPE, SIG_IGN); /* QEMU gone: the write fails instead */
    }

    FILE *logf = o->log_path ? fopen(o->log_path, "w") : NULL;
    size_t cap = 1 << 16;
    size_t len = 0;
    char *log = malloc(cap);
    if (log == NULL) {
        stop_child(pid);
        close(out[0]);
        return BH_QEMU_ERROR;
    }
    log[0] = '\0';
    double start = now_s();
    double panic_deadline = 0; /* after a panic, read a little more for the dump */
    enum bh_qemu_result result = BH_QEMU_EXITED;
    const char *why = NULL;
    for (;;) {
        double elapsed = now_s() - start;
        if (panic_deadline == 0 && o->timeout_s > 0 && elapsed >= o->timeout_s) {
            result = BH_QEMU_TIMEOUT;
            break;
        }
        if (panic_deadline != 0 && now_s() >= panic_deadline) {
            break;
        }
        struct pollfd pfd = {out[0], POLLIN, 0};
        int pr = poll(&pfd, 1, 100);
        if (pr < 0 && errno != EINTR) {
            result = BH_QEMU_ERROR;
            break;
        }
        if (pr <= 0) {
            continue;
        }
        char chunk[4096];
        ssize_t n = read(out[0], chunk, sizeof(chunk));
        if (n <= 0) {
            break; /* QEMU exited */
        }
        if (len + (size_t)n + 1 > cap) {
            while (len + (size_t)n + 1 > cap) {
                cap *= 2;
            }
            char *nl = realloc(log, cap);
            if (nl == NULL) {
                result = BH_QEMU_ERROR;
                break;
            }
            log = nl;
        }
        memcpy(log + len, chunk, (size_t)n);
        len += (size_t)n;
        log[len] = '\0';
        if (!o->quiet) {
            fwrite(chunk, 1, (size_t)n, stdout);
            fflush(stdout);
        }
        if (logf != NULL) {
            fwrite(chunk, 1, (size_t)n, logf);
        }
        if (panic_deadline == 0) {
            why = rejected(o, log);
            if (why != NULL) {
                result = BH_QEMU_PANIC;
                panic_deadline = now_s() + 0.5;
                continue;
            }
            while (sent < o->nsend && strstr(log, o->send_after[sent]) != NULL) {
                if (!send_text(in[1], o->send[sent])) {
                    fprintf(stderr, "qemu-run: cannot write to QEMU's serial input\n");
                    break;
                }
                sent++;
            }
            if (o->nexpect > 0 && all_seen(o, log)) {
                result = BH_QEMU_PASS;
                break;
            }
        }
    }
    stop_child(pid);
    close(out[0]);
    if (in[1] >= 0) {
        close(in[1]);
    }
    if (result == BH_QEMU_EXITED && o->nexpect == 0) {
        result = BH_QEMU_PASS; /* nothing expected: running to power-off is success */
    }
    if (result != BH_QEMU_PASS) {
        fprintf(stderr, "\nqemu-run: FAIL: ");
        if (result == BH_QEMU_TIMEOUT) {
            fprintf(stderr, "timed out after %.0f s", o->timeout_s);
        } else if (result == BH_QEMU_PANIC) {
            fprintf(stderr, "the console printed '%s'", why);
        } else if (result == BH_QEMU_EXITED) {
            fprintf(stderr, "QEMU exited (the system powered off or QEMU failed)");
        } else {
            fprintf(stderr, "runner error");
        }
        for (size_t i = 0; i < o->nexpect; i++) {
            if (strstr(log, o->expect[i]) == NULL) {
                fprintf(stderr, "; missing '%s'", o->expect[i]);
            }
        }
        fprintf(stderr, "\n");
    } else if (!o->quiet) {
        fprintf(stderr, "\nqemu-run: PASS: %zu expected text(s) seen after %.1f s\n", o->nexpect,
                now_s() - start);
    }
    if (logf != NULL) {
        fclose(logf);
    }
    free(log);
    return result;
}
