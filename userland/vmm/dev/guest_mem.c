/* Checked guest-physical to host translation: see vmm/vmm_common.h. */
#include <vmm/vmm_common.h>

void *guest_mem_translate(const struct guest_mem *mem, uint64_t ipa, uint64_t len)
{
    uint64_t off;

    if (mem == NULL || mem->host == NULL || ipa < mem->ipa_base) {
        return NULL;
    }
    off = ipa - mem->ipa_base;
    /* Written so that no sum can wrap: off <= size and len <= size - off. */
    if (off > mem->size || len > mem->size - off) {
        return NULL;
    }
    return mem->host + off;
}
