/* Split virtqueues (virtio 1.2, 2.7): see vmm/virtqueue.h. */
#include <vmm/virtqueue.h>

#include <string.h>

#define DESC_SIZE 16u

void virtq_reset(struct virtq *q)
{
    memset(q, 0, sizeof(*q));
}

bool virtq_layout_ok(const struct virtq *q, const struct guest_mem *mem)
{
    uint64_t n = q->num;

    /* 2.7: alignment 16 for the descriptor table, 2 for the driver area, 4 for the device area. */
    if (n == 0 || (q->desc & 15u) != 0 || (q->avail & 1u) != 0 || (q->used & 3u) != 0) {
        return false;
    }
    return guest_mem_translate(mem, q->desc, DESC_SIZE * n) != NULL &&
           guest_mem_translate(mem, q->avail, 6u + 2u * n) != NULL &&
           guest_mem_translate(mem, q->used, 6u + 8u * n) != NULL;
}

struct desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

static bool read_desc(const struct guest_mem *mem, uint64_t table, uint32_t i, struct desc *d)
{
    const uint8_t *p = guest_mem_translate(mem, table + (uint64_t)i * DESC_SIZE, DESC_SIZE);

    if (p == NULL) {
        return false;
    }
    d->addr = vmm_le64(p);
    d->len = vmm_le32(p + 8);
    d->flags = vmm_le16(p + 12);
    d->next = vmm_le16(p + 14);
    return true;
}

/* Adds one buffer descriptor to e; false on a violation. */
static bool add_buf(struct vq_elem *e, const struct guest_mem *mem, const struct desc *d)
{
    uint8_t *host = guest_mem_translate(mem, d->addr, d->len);

    if (host == NULL) {
        return false;
    }
    if (d->flags & VIRTQ_DESC_F_WRITE) {
        if (e->n_in >= VIRTQ_MAX_SIZE) {
            return false;
        }
        e->in[e->n_in].host = host;
        e->in[e->n_in].len = d->len;
        e->n_in++;
        e->in_len += d->len;
    } else {
        /* 2.7.4.2: readable descriptors come before writable ones. */
        if (e->n_in != 0 || e->n_out >= VIRTQ_MAX_SIZE) {
            return false;
        }
        e->out[e->n_out].host = host;
        e->out[e->n_out].len = d->len;
        e->n_out++;
        e->out_len += d->len;
    }
    return true;
}

/* Walks an indirect table (2.7.5.3); *budget bounds the whole chain. */
static bool walk_indirect(struct vq_elem *e, const struct guest_mem *mem, const struct desc *ind,
                          unsigned *budget)
{
    uint32_t count = ind->len / DESC_SIZE;
    uint32_t i = 0;
    struct desc d;

    if (ind->len == 0 || ind->len % DESC_SIZE != 0 || (ind->flags & VIRTQ_DESC_F_NEXT) ||
        guest_mem_translate(mem, ind->addr, ind->len) == NULL) {
        return false;
    }
    for (;;) {
        if (*budget == 0 || i >= count || !read_desc(mem, ind->addr, i, &d)) {
            return false;
        }
        (*budget)--;
        /* 2.7.5.3.1: no indirect descriptor inside an indirect table. */
        if ((d.flags & VIRTQ_DESC_F_INDIRECT) || !add_buf(e, mem, &d)) {
            return false;
        }
        if (!(d.flags & VIRTQ_DESC_F_NEXT)) {
            return true;
        }
        i = d.next;
    }
}

enum vq_pop virtq_pop(struct virtq *q, const struct guest_mem *mem, bool indirect_ok,
                      struct vq_elem *e)
{
    const uint8_t *avail = guest_mem_translate(mem, q->avail, 6u + 2u * (uint64_t)q->num);
    uint16_t avail_idx, head;
    unsigned budget = q->num; /* a legal chain is never longer than the queue */
    uint32_t i;
    struct desc d;

    if (!q->ready || avail == NULL) {
        return VQ_POP_ERROR;
    }
    avail_idx = vmm_le16(avail + 2);
    if (avail_idx == q->last_avail) {
        return VQ_POP_EMPTY;
    }
    /* The driver cannot have more than num chains outstanding. */
    if ((uint16_t)(avail_idx - q->last_avail) > q->num) {
        return VQ_POP_ERROR;
    }
    /* Read the ring entry only after seeing the index that covers it. */
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    head = vmm_le16(avail + 4 + 2u * (q->last_avail % q->num));
    e->head = head;
    e->n_out = 0;
    e->n_in = 0;
    e->out_len = 0;
    e->in_len = 0;
    i = head;
    for (;;) {
        if (budget == 0 || i >= q->num || !read_desc(mem, q->desc, i, &d)) {
            return VQ_POP_ERROR;
        }
        budget--;
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            /* The chain is the table's descriptors, not the pointer to it. */
            budget++;
            if (!indirect_ok || !walk_indirect(e, mem, &d, &budget)) {
                return VQ_POP_ERROR;
            }
            /* The table ends the chain: INDIRECT with NEXT was refused above. */
            break;
        }
        if (!add_buf(e, mem, &d)) {
            return VQ_POP_ERROR;
        }
        if (!(d.flags & VIRTQ_DESC_F_NEXT)) {
            break;
        }
        i = d.next;
    }
    q->last_avail++;
    return VQ_POP_OK;
}

bool virtq_push(struct virtq *q, const struct guest_mem *mem, uint16_t head, uint32_t len)
{
    uint8_t *used = guest_mem_translate(mem, q->used, 6u + 8u * (uint64_t)q->num);
    uint8_t *ent;

    if (used == NULL || q->num == 0) {
        return false;
    }
    ent = used + 4 + 8u * (q->used_idx % q->num);
    vmm_put_le32(ent, head);
    vmm_put_le32(ent + 4, len);
    q->used_idx++;
    /* The element must be visible before the index that publishes it. */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    vmm_put_le16(used + 2, q->used_idx);
    return true;
}

bool virtq_should_notify(const struct virtq *q, const struct guest_mem *mem)
{
    const uint8_t *avail = guest_mem_translate(mem, q->avail, 4);

    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return avail == NULL || !(vmm_le16(avail) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

size_t vq_elem_read(const struct vq_elem *e, uint64_t off, void *dst, size_t len)
{
    size_t done = 0;

    for (unsigned i = 0; i < e->n_out && done < len; i++) {
        const struct vq_buf *b = &e->out[i];
        size_t n;
        if (off >= b->len) {
            off -= b->len;
            continue;
        }
        n = b->len - (size_t)off;
        if (n > len - done) {
            n = len - done;
        }
        memcpy((uint8_t *)dst + done, b->host + off, n);
        done += n;
        off = 0;
    }
    return done;
}

size_t vq_elem_write(const struct vq_elem *e, uint64_t off, const void *src, size_t len)
{
    size_t done = 0;

    for (unsigned i = 0; i < e->n_in && done < len; i++) {
        const struct vq_buf *b = &e->in[i];
        size_t n;
        if (off >= b->len) {
            off -= b->len;
            continue;
        }
        n = b->len - (size_t)off;
        if (n > len - done) {
            n = len - done;
        }
        memcpy(b->host + off, (const uint8_t *)src + done, n);
        done += n;
        off = 0;
    }
    return done;
}
