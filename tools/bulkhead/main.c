/*
 * bulkhead: check, build and run a Bulkhead system spec.
 *
 * Exit codes (also in docs/SPEC.md and --help):
 *   0 success; 1 the spec is invalid (every error printed to stderr);
 *   2 usage error; 3 build failed (missing kernel/root task, image writer);
 *   4 run: timeout; 5 run: kernel panic or rejected text; 6 run: QEMU exited
 *   early or could not start.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libfdt.h>

#include "model.h"

#ifdef BH_HAVE_IMAGE
#include "image.h"
#endif
#ifdef BH_HAVE_QEMU
#include "qemu.h"
#endif

#ifndef BH_DEFAULT_KERNEL
#define BH_DEFAULT_KERNEL "kernel.elf"
#endif
#ifndef BH_DEFAULT_ROOTTASK
#define BH_DEFAULT_ROOTTASK "roottask.elf"
#endif
#ifndef BH_DEFAULT_VMM
#define BH_DEFAULT_VMM "vmm.elf"
#endif

enum {
    EXIT_OK = 0,
    EXIT_SPEC = 1,
    EXIT_USAGE = 2,
    EXIT_BUILD = 3,
    EXIT_TIMEOUT = 4,
    EXIT_PANIC = 5,
    EXIT_QEMU = 6,
};

#define MAX_EXPECT 32

struct opts {
    const char *cmd;
    const char *spec;
    const char *out;
    const char *kernel;
    const char *roottask;
    const char *vmm;
    const char *log;
    double timeout;
    const char *expect[MAX_EXPECT];
    size_t nexpect;
    const char *send[MAX_EXPECT];       /* typed on the console ... */
    const char *send_after[MAX_EXPECT]; /* ... once this text appeared */
    size_t nsend;
    struct bh_load_opts load;
};

static const char *const usage_main =
    "usage: bulkhead COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  check SPEC.dts   validate the spec and print its resource report\n"
    "  build SPEC.dts   validate and write a bootable image (-o IMAGE)\n"
    "  run SPEC.dts     build and boot it in QEMU\n"
    "\n"
    "'bulkhead COMMAND --help' describes each command. The spec format is docs/SPEC.md.\n"
    "exit codes: 0 ok, 1 invalid spec, 2 usage error, 3 build failed,\n"
    "            4 run timed out, 5 kernel panic, 6 QEMU exited early or failed to start\n";

static const char *const usage_check =
    "usage: bulkhead check SPEC.dts [--payload-dir DIR]...\n"
    "\n"
    "Compiles SPEC.dts with dtc, validates it and prints the resource report to stdout.\n"
    "Every error goes to stderr as 'file: /node/path/property: what is wrong; what would be\n"
    "right', all of them in one run.\n"
    "\n"
    "  --payload-dir DIR  also look for payload files (kernels, initrds, disks, programs)\n"
    "                     in DIR, after the spec file's own directory; repeatable\n"
    "  --no-payloads      do not open payload files (format check only)\n"
    "\n"
    "exit codes: 0 valid, 1 invalid spec, 2 usage error\n";

static const char *const usage_build =
    "usage: bulkhead build SPEC.dts -o IMAGE [--payload-dir DIR]... [--kernel ELF]\n"
    "                      [--roottask ELF] [--vmm ELF]\n"
    "\n"
    "Validates SPEC.dts and writes one image QEMU boots with -kernel IMAGE: the kernel, the\n"
    "root task, the compiled spec, the time-partition schedule (if the spec has one), the VMM\n"
    "and server programs and every guest payload, each with its SHA-256. On any error\n"
    "nothing is written.\n"
    "\n"
    "  -o IMAGE           output file (required)\n"
    "  --payload-dir DIR  extra search directory for payload files; repeatable\n"
    "  --kernel ELF       kernel (default: " BH_DEFAULT_KERNEL ")\n"
    "  --roottask ELF     root task (default: " BH_DEFAULT_ROOTTASK ")\n"
    "  --vmm ELF          VMM program for VMs without a vmm property\n"
    "                     (default: " BH_DEFAULT_VMM ")\n"
    "\n"
    "exit codes: 0 written, 1 invalid spec, 2 usage error, 3 build failed\n";

static const char *const usage_run =
    "usage: bulkhead run SPEC.dts [--timeout S] [--expect TEXT]... [--send-after LINE TEXT]...\n"
    "                    [--log FILE] [--payload-dir DIR]... [--kernel ELF] [--roottask ELF]\n"
    "                    [--vmm ELF]\n"
    "\n"
    "Builds SPEC.dts into a temporary image and boots it in QEMU (virt, GICv3,\n"
    "virtualization=on, CPUs and memory from /platform). Without --expect the console is\n"
    "interactive (Ctrl-A X quits). With --expect it exits 0 once every text has appeared.\n"
    "\n"
    "  --timeout S        wall-clock limit in seconds (default: none)\n"
    "  --expect TEXT      text that must appear on the console; repeatable\n"
    "  --send-after LINE TEXT  type TEXT on the console once LINE appeared (and the\n"
    "                     earlier TEXTs were typed); \\n, \\r and \\\\ are escapes; repeatable\n"
    "  --log FILE         copy of the console output\n"
    "  other options as for build\n"
    "\n"
    "exit codes: 0 every text seen, 1 invalid spec, 2 usage error, 3 build failed,\n"
    "            4 timeout, 5 kernel panic, 6 QEMU exited early or failed to start\n";

static int usage_error(const char *usage, const char *fmt, const char *arg)
{
    fprintf(stderr, "bulkhead: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage);
    return EXIT_USAGE;
}

static int parse_args(int argc, char **argv, struct opts *o, const char *usage)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        bool has_val = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return -1;
        }
        if (strcmp(a, "--no-payloads") == 0 && strcmp(o->cmd, "check") == 0) {
            o->load.check_payloads = false;
            continue;
        }
        static const char *const valued[] = {"-o",    "--payload-dir", "--kernel", "--roottask",
                                             "--vmm", "--timeout",     "--expect", "--log"};
        bool is_valued = false;
        for (size_t k = 0; k < sizeof(valued) / sizeof(valued[0]); k++) {
            if (strcmp(a, valued[k]) == 0) {
                is_valued = true;
            }
        }
        if (is_valued && !has_val) {
            return usage_error(usage, "option %s needs a value", a);
        }
        if (strcmp(a, "--send-after") == 0 && strcmp(o->cmd, "run") == 0) {
            if (i + 2 >= argc) {
                return usage_error(usage, "option %s needs a line and a text", a);
            }
            if (o->nsend == MAX_EXPECT) {
                return usage_error(usage, "too many %s options", a);
            }
            o->send_after[o->nsend] = argv[++i];
            o->send[o->nsend++] = argv[++i];
            continue;
        }
        bool ok = true;
        if (strcmp(a, "-o") == 0 && strcmp(o->cmd, "build") == 0) {
            o->out = argv[++i];
        } else if (strcmp(a, "--payload-dir") == 0) {
            if (o->load.nsearch == BH_MAX_SEARCH_DIRS) {
                return usage_error(usage, "too many %s options", a);
            }
            o->load.search_dirs[o->load.nsearch++] = argv[++i];
        } else if (strcmp(a, "--kernel") == 0 && strcmp(o->cmd, "check") != 0) {
            o->kernel = argv[++i];
        } else if (strcmp(a, "--roottask") == 0 && strcmp(o->cmd, "check") != 0) {
            o->roottask = argv[++i];
        } else if (strcmp(a, "--vmm") == 0 && strcmp(o->cmd, "check") != 0) {
            o->vmm = argv[++i];
        } else if (strcmp(a, "--log") == 0 && strcmp(o->cmd, "run") == 0) {
            o->log = argv[++i];
        } else if (strcmp(a, "--timeout") == 0 && strcmp(o->cmd, "run") == 0) {
            char *end = NULL;
            o->timeout = strtod(argv[++i], &end);
            if (end == argv[i] || *end != '\0' || o->timeout < 0) {
                return usage_error(usage, "--timeout wants a number of seconds, not '%s'", argv[i]);
            }
        } else if (strcmp(a, "--expect") == 0 && strcmp(o->cmd, "run") == 0) {
            if (o->nexpect == MAX_EXPECT) {
                return usage_error(usage, "too many %s options", a);
            }
            o->expect[o->nexpect++] = argv[++i];
        } else if (a[0] == '-') {
            ok = false;
        } else if (o->spec == NULL) {
            o->spec = a;
        } else {
            return usage_error(usage, "unexpected argument '%s'", a);
        }
        if (!ok) {
            return usage_error(usage, "unknown option '%s'", a);
        }
    }
    if (o->spec == NULL) {
        return usage_error(usage, "%s", "missing SPEC.dts");
    }
    if (strcmp(o->cmd, "build") == 0 && o->out == NULL) {
        return usage_error(usage, "%s", "missing -o IMAGE");
    }
    return 0;
}

static bool read_file(const char *path, uint8_t **buf, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return false;
    }
    size_t cap = 65536, n = 0;
    uint8_t *b = malloc(cap);
    while (b != NULL) {
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            break;
        }
        if (n == cap) {
            uint8_t *nb = realloc(b, cap * 2);
            if (nb == NULL) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    bool err = ferror(f) != 0;
    fclose(f);
    if (b == NULL || err) {
        free(b);
        return false;
    }
    *buf = b;
    *size = n;
    return true;
}

/* Runs dtc on the source; returns the DTB, or NULL with dtc's messages in d. */
static uint8_t *compile_dts(const char *spec, size_t *size, struct bh_diag *d)
{
    uint8_t *raw = NULL;
    size_t rawsize = 0;
    if (!read_file(spec, &raw, &rawsize)) {
        bh_diag_addraw(d, "cannot read the spec file (%s); give an existing .dts file",
                       strerror(errno));
        return NULL;
    }
    if (rawsize >= 4 && raw[0] == 0xd0 && raw[1] == 0x0d && raw[2] == 0xfe && raw[3] == 0xed) {
        *size = rawsize; /* already compiled */
        return raw;
    }
    free(raw);
    const char *tmpdir = getenv("TMPDIR");
    char out[512], errf[512];
    snprintf(out, sizeof(out), "%s/bulkhead-dtb-XXXXXX", tmpdir ? tmpdir : "/tmp");
    snprintf(errf, sizeof(errf), "%s/bulkhead-dtc-XXXXXX", tmpdir ? tmpdir : "/tmp");
    int ofd = mkstemp(out);
    if (ofd < 0) {
        bh_diag_addraw(d,
                       "cannot create a temporary file (%s); set TMPDIR to a writable "
                       "directory",
                       strerror(errno));
        return NULL;
    }
    int efd = mkstemp(errf);
    if (efd < 0) {
        close(ofd);
        unlink(out);
        bh_diag_addraw(d,
                       "cannot create a temporary file (%s); set TMPDIR to a writable "
                       "directory",
                       strerror(errno));
        return NULL;
    }
    uint8_t *dtb = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(efd, 2);
        execlp("dtc", "dtc", "-q", "-I", "dts", "-O", "dtb", "-o", out, spec, (char *)NULL);
        fprintf(stderr, "cannot run dtc: %s; install the device-tree-compiler package\n",
                strerror(errno));
        _exit(127);
    }
    int status = 0;
    bool ran = pid > 0 && waitpid(pid, &status, 0) == pid;
    if (!ran) {
        bh_diag_addraw(d, "cannot start dtc (%s)", strerror(errno));
    } else {
        uint8_t *msgs = NULL;
        size_t msize = 0;
        if (read_file(errf, &msgs, &msize)) {
            char *line = (char *)msgs;
            for (size_t i = 0; i < msize; i++) {
                if (msgs[i] == '\n' || i + 1 == msize) {
                    size_t end = msgs[i] == '\n' ? i : i + 1;
                    msgs[i] = msgs[i] == '\n' ? '\0' : msgs[i];
                    if (end > (size_t)(line - (char *)msgs)) {
                        char tmp[1024];
                        size_t len = end - (size_t)(line - (char *)msgs);
                        len = len < sizeof(tmp) - 1 ? len : sizeof(tmp) - 1;
                        memcpy(tmp, line, len);
                        tmp[len] = '\0';
                        bh_diag_addraw(d, "dtc: %s", tmp);
                    }
                    line = (char *)msgs + i + 1;
                }
            }
            free(msgs);
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            if (!read_file(out, &dtb, size)) {
                bh_diag_addraw(d, "cannot read dtc's output (%s)", strerror(errno));
            }
        } else if (d->n == 0) {
            bh_diag_addraw(d, "dtc failed; fix the device-tree source syntax");
        }
    }
    close(ofd);
    close(efd);
    unlink(out);
    unlink(errf);
    return dtb;
}

static void print_diag(const struct bh_diag *d)
{
    for (size_t i = 0; i < d->n; i++) {
        fprintf(stderr, "%s\n", d->msgs[i]);
    }
    if (d->oom) {
        fprintf(stderr, "%s: out of memory while collecting errors\n", d->file);
    }
}

/* dtc + load + validate; returns the DTB (the model points into it) or NULL. */
static uint8_t *load_spec(struct opts *o, struct bh_model *m, struct bh_diag *d)
{
    static char dir[1024];
    snprintf(dir, sizeof(dir), "%s", o->spec);
    o->load.spec_dir = dirname(dir);
    size_t size = 0;
    uint8_t *dtb = compile_dts(o->spec, &size, d);
    if (dtb == NULL) {
        return NULL;
    }
    if (bh_spec_load(dtb, size, m, d)) {
        bh_spec_validate(m, &o->load, d);
    }
    if (d->n != 0 || d->oom) {
        free(dtb);
        return NULL;
    }
    return dtb;
}

static bool file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static bool is_gzip_file(const char *path)
{
    uint8_t h[2] = {0, 0};
    FILE *f = fopen(path, "rb");
    size_t n = f != NULL ? fread(h, 1, sizeof(h), f) : 0;
    if (f != NULL) {
        fclose(f);
    }
    return bh_is_gzip(h, n);
}

static int do_build(struct opts *o, const struct bh_model *m, const char *out)
{
    const char *need[] = {o->kernel, o->roottask};
    const char *what[] = {"kernel", "root task"};
    for (int i = 0; i < 2; i++) {
        if (!file_exists(need[i])) {
            fprintf(stderr, "bulkhead: %s \"%s\" not found; build the target first or pass --%s\n",
                    what[i], need[i], i == 0 ? "kernel" : "roottask");
            return EXIT_BUILD;
        }
    }
    bool default_vmm = false;
    for (uint32_t p = 0; p < m->nparts; p++) {
        if (m->parts[p].kind != BH_SPEC_PART_VM) {
            continue;
        }
        bool own = false;
        for (uint32_t k = 0; k < m->parts[p].npayloads; k++) {
            own = own || m->parts[p].payloads[k].role == BH_SPEC_ROLE_PROGRAM;
        }
        default_vmm = default_vmm || !own;
    }
    if (default_vmm && !file_exists(o->vmm)) {
        fprintf(stderr, "bulkhead: VMM \"%s\" not found; build the target first or pass --vmm\n",
                o->vmm);
        return EXIT_BUILD;
    }
    uint8_t *blob = NULL;
    size_t blob_size = 0;
    if (!bh_spec_compile(m, &blob, &blob_size)) {
        fprintf(stderr, "bulkhead: cannot compile the spec (out of memory or limits)\n");
        return EXIT_BUILD;
    }
#ifdef BH_HAVE_IMAGE
    static struct bh_image_component comps[BH_PAYLOAD_MAX_ENTRIES];
    static char names[BH_PAYLOAD_MAX_ENTRIES][BH_PAYLOAD_NAME_LEN];
    /* Decompressed gzip kernels, freed once the image is written. */
    static uint8_t *unpacked[BH_PAYLOAD_MAX_ENTRIES];
    size_t nunpacked = 0;
    size_t n = 0;
    comps[n++] = (struct bh_image_component){"roottask", BH_PAYLOAD_ROOTTASK, o->roottask, NULL, 0};
    comps[n++] = (struct bh_image_component){"spec", BH_PAYLOAD_SPEC, NULL, blob, blob_size};
    if (default_vmm) {
        comps[n++] = (struct bh_image_component){"vmm", BH_PAYLOAD_VMM, o->vmm, NULL, 0};
    }
    /* The kernel installs the static schedule at boot, before the root task runs. */
    uint8_t *sched = NULL;
    size_t sched_size = 0;
    if (m->has_schedule) {
        if (!bh_spec_boot_schedule(m, &sched, &sched_size)) {
            fprintf(stderr, "bulkhead: cannot build the schedule component (out of memory)\n");
            free(blob);
            return EXIT_BUILD;
        }
        comps[n++] =
            (struct bh_image_component){"schedule", BH_PAYLOAD_SCHEDULE, NULL, sched, sched_size};
    }
    int rc_early = EXIT_OK;
    for (uint32_t p = 0; p < m->nparts && rc_early == EXIT_OK; p++) {
        const struct bh_part *part = &m->parts[p];
        for (uint32_t k = 0; k < part->npayloads; k++) {
            if (n == BH_PAYLOAD_MAX_ENTRIES) {
                fprintf(stderr, "bulkhead: more than %u image components\n",
                        BH_PAYLOAD_MAX_ENTRIES);
                rc_early = EXIT_BUILD;
                break;
            }
            const struct bh_payload *pl = &part->payloads[k];
            bh_spec_payload_name(m, p, k, names[n], sizeof(names[n]));
            enum bh_payload_kind kind = BH_PAYLOAD_SERVER;
            if (pl->role == BH_SPEC_ROLE_KERNEL) {
                kind = BH_PAYLOAD_GUEST_KERNEL;
            } else if (pl->role == BH_SPEC_ROLE_INITRD) {
                kind = BH_PAYLOAD_GUEST_INITRD;
            } else if (pl->role == BH_SPEC_ROLE_DISK) {
                kind = BH_PAYLOAD_GUEST_DISK;
            } else if (part->kind == BH_SPEC_PART_VM) {
                kind = BH_PAYLOAD_VMM;
            }
            comps[n] = (struct bh_image_component){names[n], kind, pl->resolved, NULL, 0};
            if (kind == BH_PAYLOAD_GUEST_KERNEL && is_gzip_file(pl->resolved)) {
                /* The VMM loads a plain Image: the image carries it decompressed. */
                uint8_t *img = NULL;
                size_t size = 0;
                char why[200];
                if (!bh_gunzip_kernel(pl->resolved, &img, &size, why, sizeof(why))) {
                    fprintf(stderr, "bulkhead: %s: %s\n", pl->resolved, why);
                    rc_early = EXIT_BUILD;
                    break;
                }
                unpacked[nunpacked++] = img;
                comps[n] = (struct bh_image_component){names[n], kind, NULL, img, size};
            }
            n++;
        }
    }
    char err[512] = "";
    int rc = rc_early == EXIT_OK ? bh_image_write(o->kernel, comps, n, out, err, sizeof(err)) : 0;
    free(blob);
    free(sched);
    for (size_t i = 0; i < nunpacked; i++) {
        free(unpacked[i]);
    }
    if (rc_early != EXIT_OK) {
        return rc_early;
    }
    if (rc != 0) {
        fprintf(stderr, "bulkhead: %s: %s\n", out, err);
        return EXIT_BUILD;
    }
    return EXIT_OK;
#else
    (void)out;
    free(blob);
    fprintf(stderr, "bulkhead: this bulkhead was built without the image writer "
                    "(tools/image/image.c); cannot write an image\n");
    return EXIT_BUILD;
#endif
}

static int do_run(struct opts *o, const struct bh_model *m)
{
#ifdef BH_HAVE_QEMU
    const char *tmpdir = getenv("TMPDIR");
    char image[512];
    snprintf(image, sizeof(image), "%s/bulkhead-run-XXXXXX", tmpdir ? tmpdir : "/tmp");
    int fd = mkstemp(image);
    if (fd < 0) {
        fprintf(stderr, "bulkhead: cannot create a temporary image: %s\n", strerror(errno));
        return EXIT_BUILD;
    }
    close(fd);
    unlink(image);
    int rc = do_build(o, m, image);
    if (rc != EXIT_OK) {
        return rc;
    }
    struct bh_qemu_opts q;
    memset(&q, 0, sizeof(q));
    q.image = image;
    q.smp = m->plat.cpus;
    q.mem_mib = (unsigned)(m->plat.ram_size >> 20);
    q.timeout_s = o->timeout;
    q.expect = o->expect;
    q.nexpect = o->nexpect;
    q.send = o->send;
    q.send_after = o->send_after;
    q.nsend = o->nsend;
    q.log_path = o->log;
    q.interactive = o->nexpect == 0;
    enum bh_qemu_result r = bh_qemu_run(&q);
    unlink(image);
    switch (r) {
    case BH_QEMU_PASS:
        return EXIT_OK;
    case BH_QEMU_TIMEOUT:
        fprintf(stderr, "bulkhead: timeout after %g s\n", o->timeout);
        return EXIT_TIMEOUT;
    case BH_QEMU_PANIC:
        fprintf(stderr, "bulkhead: kernel panic\n");
        return EXIT_PANIC;
    default:
        fprintf(stderr, "bulkhead: QEMU exited before every expected text appeared\n");
        return EXIT_QEMU;
    }
#else
    (void)o;
    (void)m;
    fprintf(stderr, "bulkhead: this bulkhead was built without the QEMU runner "
                    "(tools/qemu/qemu.c); cannot run\n");
    return EXIT_QEMU;
#endif
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        fputs(usage_main, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
    struct opts o;
    memset(&o, 0, sizeof(o));
    o.cmd = argv[1];
    o.kernel = BH_DEFAULT_KERNEL;
    o.roottask = BH_DEFAULT_ROOTTASK;
    o.vmm = BH_DEFAULT_VMM;
    o.load.check_payloads = true;
    const char *usage = NULL;
    if (strcmp(o.cmd, "check") == 0) {
        usage = usage_check;
    } else if (strcmp(o.cmd, "build") == 0) {
        usage = usage_build;
    } else if (strcmp(o.cmd, "run") == 0) {
        usage = usage_run;
    } else {
        return usage_error(usage_main, "unknown command '%s'", o.cmd);
    }
    int rc = parse_args(argc, argv, &o, usage);
    if (rc != 0) {
        return rc < 0 ? EXIT_OK : rc;
    }
    static struct bh_model m;
    struct bh_diag d;
    bh_diag_init(&d, o.spec);
    uint8_t *dtb = load_spec(&o, &m, &d);
    if (dtb == NULL) {
        print_diag(&d);
        bh_diag_free(&d);
        return EXIT_SPEC;
    }
    bh_diag_free(&d);
    if (strcmp(o.cmd, "check") == 0) {
        bh_spec_report(&m, o.spec, stdout);
        rc = EXIT_OK;
    } else if (strcmp(o.cmd, "build") == 0) {
        rc = do_build(&o, &m, o.out);
    } else {
        rc = do_run(&o, &m);
    }
    free(dtb);
    return rc;
}
