/* MMIO dispatch and data-abort syndrome decoding: see vmm/mmio_bus.h. */
#include <vmm/mmio_bus.h>

#include <string.h>

#define ESR_EC_SHIFT    26u
#define ESR_EC_DABT_LOW 0x24u
#define ISS_ISV         (1ull << 24)
#define ISS_SAS_SHIFT   22u
#define ISS_SSE         (1ull << 21)
#define ISS_SRT_SHIFT   16u
#define ISS_SF          (1ull << 15)
#define ISS_WNR         (1ull << 6)

void mmio_bus_init(struct mmio_bus *bus)
{
    memset(bus, 0, sizeof(*bus));
}

bool mmio_bus_add(struct mmio_bus *bus, uint64_t base, uint64_t size, vmm_mmio_fn fn, void *dev)
{
    if (bus->count >= MMIO_BUS_MAX_REGIONS || size == 0 || fn == NULL || base + size < base) {
        return false;
    }
    for (unsigned i = 0; i < bus->count; i++) {
        const struct mmio_region *r = &bus->region[i];
        if (base < r->base + r->size && r->base < base + size) {
            return false;
        }
    }
    bus->region[bus->count].base = base;
    bus->region[bus->count].size = size;
    bus->region[bus->count].fn = fn;
    bus->region[bus->count].dev = dev;
    bus->count++;
    return true;
}

bool mmio_bus_access(const struct mmio_bus *bus, uint64_t ipa, unsigned size, bool write,
                     uint64_t *value)
{
    for (unsigned i = 0; i < bus->count; i++) {
        const struct mmio_region *r = &bus->region[i];
        if (ipa >= r->base && ipa - r->base < r->size) {
            /* The whole access must stay inside the window. */
            if (size > r->size - (ipa - r->base)) {
                return false;
            }
            return r->fn(r->dev, ipa - r->base, size, write, value);
        }
    }
    return false;
}

bool mmio_dabt_decode(uint64_t esr, struct mmio_dabt *out)
{
    if (((esr >> ESR_EC_SHIFT) & 0x3fu) != ESR_EC_DABT_LOW || !(esr & ISS_ISV)) {
        return false;
    }
    out->size = 1u << ((esr >> ISS_SAS_SHIFT) & 3u);
    out->write = (esr & ISS_WNR) != 0;
    out->sign_extend = (esr & ISS_SSE) != 0;
    out->sf = (esr & ISS_SF) != 0;
    out->reg = (unsigned)(esr >> ISS_SRT_SHIFT) & 0x1fu;
    return true;
}

uint64_t mmio_dabt_load_value(const struct mmio_dabt *d, uint64_t raw)
{
    unsigned bits = d->size * 8u;
    uint64_t v = raw;

    if (bits < 64) {
        v &= (1ull << bits) - 1u;
        if (d->sign_extend && (v >> (bits - 1u)) != 0) {
            v |= ~((1ull << bits) - 1u);
        }
    }
    return d->sf ? v : (uint32_t)v;
}
