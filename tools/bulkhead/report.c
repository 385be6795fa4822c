/*
 * Resource report of `bulkhead check`. The layout is stable (tests and users
 * diff it): one section per topic, two-space indents, sizes in hex bytes with
 * a KiB/MiB figure.
 */
#include <stdio.h>
#include <string.h>

#include "model.h"

static void size_str(char *buf, size_t len, uint64_t v)
{
    if (v >= 1024ull * 1024ull && v % (1024ull * 1024ull) == 0) {
        snprintf(buf, len, "%llu MiB", (unsigned long long)(v >> 20));
    } else {
        snprintf(buf, len, "%llu KiB", (unsigned long long)(v >> 10));
    }
}

static const char *rights_str(uint32_t r)
{
    if (r == (BH_SPEC_RIGHT_READ | BH_SPEC_RIGHT_WRITE)) {
        return "rw";
    }
    if (r == BH_SPEC_RIGHT_READ) {
        return "r";
    }
    return "-";
}

static void sched_line(FILE *out, const struct bh_part *p)
{
    fprintf(out, "    priority %u", p->priority);
    if (p->kind == BH_SPEC_PART_VM) {
        uint32_t vp =
            p->has_vmm_priority ? p->vmm_priority : (p->priority < 255 ? p->priority + 1 : 255);
        fprintf(out, ", vmm priority %u", vp);
    }
    if (p->has_budget && p->has_period) {
        fprintf(out, ", budget %llu us every %llu us\n", (unsigned long long)p->budget_us,
                (unsigned long long)p->period_us);
    } else {
        fprintf(out, ", no budget limit\n");
    }
}

static void chan_lines(FILE *out, const struct bh_model *m, uint32_t pi)
{
    for (uint32_t c = 0; c < m->nchans; c++) {
        const struct bh_channel *ch = &m->chans[c];
        for (uint32_t e = 0; e < ch->nends && e < 2; e++) {
            if (ch->ends[e].part != (int)pi) {
                continue;
            }
            const struct bh_chan_end *peer = &ch->ends[1 - e];
            fprintf(out, "    channel %s: peer %s", ch->name,
                    peer->partition != NULL ? peer->partition : "?");
            if (ch->size != 0) {
                fprintf(out, ", memory %s", rights_str(ch->ends[e].rights));
                if (ch->ends[e].has_address) {
                    fprintf(out, " at 0x%llx", (unsigned long long)ch->ends[e].address);
                }
            }
            fprintf(out, "%s%s\n", ch->ends[e].notify ? ", may signal" : "",
                    peer->notify ? ", is signalled" : "");
        }
    }
}

void bh_spec_report(const struct bh_model *m, const char *file, FILE *out)
{
    const struct bh_platform *pl = &m->plat;
    char s1[32], s2[32];
    fprintf(out, "%s: OK\n", file);
    size_str(s1, sizeof(s1), pl->ram_size);
    size_str(s2, sizeof(s2), pl->reserve);
    fprintf(out, "platform: %s, %u CPUs, RAM 0x%llx-0x%llx (%s), kernel reserve %s\n",
            pl->preset != NULL ? pl->preset : "custom", pl->cpus, (unsigned long long)pl->ram_base,
            (unsigned long long)(pl->ram_base + pl->ram_size - 1), s1, s2);
    size_str(s1, sizeof(s1), pl->ram_size - pl->reserve);
    fprintf(out, "physical pool: 0x%llx-0x%llx (%s), retyped from untyped by the root task\n",
            (unsigned long long)(pl->ram_base + pl->reserve),
            (unsigned long long)(pl->ram_base + pl->ram_size - 1), s1);
    fprintf(out, "partitions: %u\n", m->nparts);
    uint64_t used = 0;
    for (uint32_t i = 0; i < m->nparts; i++) {
        const struct bh_part *p = &m->parts[i];
        bool vm = p->kind == BH_SPEC_PART_VM;
        fprintf(out, "  %s %s (%s)\n", vm ? "vm" : "server", p->name, p->path);
        sched_line(out, p);
        if (vm) {
            fprintf(out, "    vcpus %u:", p->vcpus);
            for (uint32_t v = 0; v < p->vcpus; v++) {
                fprintf(out, " vcpu%u->cpu%u", v, p->has_cpus ? p->cpus[v] : v);
            }
            fprintf(out, "\n");
            for (uint32_t k = 0; k < p->nmem; k++) {
                size_str(s1, sizeof(s1), p->mem[k].size);
                fprintf(out,
                        "    memory: guest-physical 0x%llx-0x%llx (%s), physical from the pool\n",
                        (unsigned long long)p->mem[k].base,
                        (unsigned long long)(p->mem[k].base + p->mem[k].size - 1), s1);
                used += p->mem[k].size;
            }
            size_str(s1, sizeof(s1), BH_VMM_MEMORY);
            fprintf(out, "    vmm memory: %s, physical from the pool\n", s1);
            used += BH_VMM_MEMORY;
            if (p->emulated != 0) {
                static const char *const names[] = {"pl011", "virtio-console", "virtio-net",
                                                    "virtio-blk", "rtc"};
                fprintf(out, "    emulated:");
                for (uint32_t b = 0; b < 5; b++) {
                    if (p->emulated & (1u << b)) {
                        fprintf(out, " %s", names[b]);
                    }
                }
                fprintf(out, "\n");
            }
            if (p->bootargs != NULL) {
                fprintf(out, "    bootargs: \"%s\"\n", p->bootargs);
            }
        } else {
            size_str(s1, sizeof(s1), p->mem_size);
            fprintf(out, "    memory: %s, physical from the pool\n", s1);
            used += p->mem_size;
        }
        for (uint32_t k = 0; k < p->npayloads; k++) {
            char name[BH_SPEC_NAME_LEN];
            bh_spec_payload_name(m, i, k, name, sizeof(name));
            fprintf(out, "    payload %s: %s\n", name, p->payloads[k].value);
        }
        for (uint32_t t = 0; t < p->npt; t++) {
            const struct bh_passthrough *pt = &p->pt[t];
            fprintf(out, "    device %s:", strrchr(pt->path, '/') + 1);
            for (uint32_t r = 0; r < pt->nregs; r++) {
                fprintf(out, " mmio 0x%llx-0x%llx", (unsigned long long)pt->regs[r].base,
                        (unsigned long long)(pt->regs[r].base + pt->regs[r].size - 1));
            }
            for (uint32_t q = 0; q < pt->nirqs; q++) {
                fprintf(out, "%s %u", q == 0 ? " irqs" : "", pt->irqs[q]);
            }
            fprintf(out, "\n");
        }
        chan_lines(out, m, i);
    }
    fprintf(out, "channels: %u\n", m->nchans);
    for (uint32_t c = 0; c < m->nchans; c++) {
        const struct bh_channel *ch = &m->chans[c];
        const struct bh_chan_end *a = &ch->ends[0];
        const struct bh_chan_end *b = &ch->ends[1];
        size_str(s1, sizeof(s1), ch->size);
        fprintf(out, "  %s: %s <-> %s, shared memory %s", ch->name, a->partition, b->partition,
                ch->size != 0 ? s1 : "none");
        if (ch->size != 0) {
            fprintf(out, " (%s %s, %s %s)", a->partition, rights_str(a->rights), b->partition,
                    rights_str(b->rights));
        }
        fprintf(out, "; notify:");
        if (a->notify) {
            fprintf(out, " %s->%s", a->partition, b->partition);
        }
        if (b->notify) {
            fprintf(out, " %s->%s", b->partition, a->partition);
        }
        fprintf(out, "%s\n", (a->notify || b->notify) ? "" : " none");
        used += ch->size;
    }
    if (m->console_input != NULL) {
        fprintf(out, "console input: %s\n", m->console_input);
    }
    if (m->has_schedule) {
        fprintf(out, "schedule: major frame %llu us, %u windows\n",
                (unsigned long long)m->major_frame_us, m->nwindows);
        uint64_t busy = 0;
        for (uint32_t w = 0; w < m->nwindows; w++) {
            const struct bh_window *win = &m->windows[w];
            fprintf(out, "  %llu-%llu us: %s\n", (unsigned long long)win->start_us,
                    (unsigned long long)(win->start_us + win->length_us), win->partition);
            busy += win->length_us;
        }
        fprintf(out, "  idle %llu us per frame\n",
                (unsigned long long)(m->major_frame_us > busy ? m->major_frame_us - busy : 0));
    } else {
        fprintf(out, "schedule: none (priorities and budgets only)\n");
    }
    uint64_t avail = pl->ram_size - pl->reserve;
    size_str(s1, sizeof(s1), used);
    size_str(s2, sizeof(s2), avail - used);
    fprintf(out, "memory: %s assigned, %s left\n", s1, s2);
}
