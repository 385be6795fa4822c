/* tools/image: the boot image writer, on a synthetic kernel ELF. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <bh_sha256.h>
#include <elf.h>
#include <image.h>

static char dir[] = "/tmp/bh-image-test-XXXXXX";
static char kpath[256];
static char outpath[256];

/* An ELF whose single segment starts with an arm64 Image header, 0x3000 bytes
 * in the file and 0x5800 in memory (BSS). */
static void write_kernel(int with_magic)
{
    uint8_t buf[0x1000 + 0x3000];
    memset(buf, 0, sizeof(buf));
    Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_machine = EM_AARCH64;
    eh->e_type = ET_EXEC;
    eh->e_entry = 0x40200000;
    eh->e_phoff = sizeof(*eh);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = 1;
    Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(*eh));
    ph->p_type = PT_LOAD;
    ph->p_offset = 0x1000;
    ph->p_vaddr = ph->p_paddr = 0x40200000;
    ph->p_filesz = 0x3000;
    ph->p_memsz = 0x5800;
    struct bh_arm64_image_header *h = (struct bh_arm64_image_header *)(buf + 0x1000);
    h->text_offset = 0x200000;
    h->image_size = 0x6000;
    h->magic = with_magic ? BH_ARM64_IMAGE_MAGIC : 0;
    buf[0x1000 + 0x2fff] = 0x5a; /* last file byte */
    FILE *f = fopen(kpath, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, sizeof(buf), f), sizeof(buf));
    fclose(f);
}

static uint8_t *slurp(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    static uint8_t buf[1 << 20];
    *n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    return buf;
}

static void test_layout_and_hashes(void **state)
{
    (void)state;
    write_kernel(1);
    const char spec[] = "compiled spec bytes";
    struct bh_image_component comps[] = {
        {"roottask", BH_PAYLOAD_ROOTTASK, kpath, NULL, 0},
        {"spec", BH_PAYLOAD_SPEC, NULL, spec, sizeof(spec)},
    };
    char err[256] = "";
    assert_int_equal(bh_image_write(kpath, comps, 2, outpath, err, sizeof(err)), 0);
    size_t n;
    uint8_t *img = slurp(outpath, &n);
    struct bh_arm64_image_header h;
    memcpy(&h, img, sizeof(h));
    assert_int_equal(h.magic, BH_ARM64_IMAGE_MAGIC);
    assert_int_equal(img[0x2fff], 0x5a);
    /* Payload at the first 4 KiB boundary after the 0x5800-byte footprint. */
    const struct bh_payload_header *p = (const void *)(img + 0x6000);
    assert_memory_equal(p->magic, BH_PAYLOAD_MAGIC, 8);
    assert_int_equal(p->count, 2);
    assert_int_equal(h.image_size, 0x6000 + p->size);
    assert_int_equal(n, 0x6000 + p->size);
    for (unsigned i = 0; i < 2; i++) {
        const struct bh_payload_entry *e = &p->entries[i];
        assert_int_equal(e->offset % BH_PAYLOAD_ALIGN, 0);
        uint8_t d[32];
        bh_sha256((const uint8_t *)p + e->offset, e->size, d);
        assert_memory_equal(d, e->sha256, 32);
    }
    assert_string_equal(p->entries[1].name, "spec");
    assert_int_equal(p->entries[1].size, sizeof(spec));
    assert_memory_equal((const uint8_t *)p + p->entries[1].offset, spec, sizeof(spec));
}

static void test_failures_leave_no_file(void **state)
{
    (void)state;
    char err[256];
    unlink(outpath);
    struct bh_image_component missing = {"roottask", BH_PAYLOAD_ROOTTASK, "/nonexistent/x", NULL,
                                         0};
    write_kernel(1);
    assert_int_equal(bh_image_write(kpath, &missing, 1, outpath, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "/nonexistent/x"));
    assert_int_equal(access(outpath, F_OK), -1);

    write_kernel(0);
    assert_int_equal(bh_image_write(kpath, NULL, 0, outpath, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no arm64 Image header"));
    assert_int_equal(access(outpath, F_OK), -1);

    write_kernel(1);
    struct bh_image_component longname = {"a-name-that-is-far-too-long-for-the-table",
                                          BH_PAYLOAD_SPEC, NULL, "x", 1};
    assert_int_equal(bh_image_write(kpath, &longname, 1, outpath, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "longer than 31"));
    assert_int_equal(access(outpath, F_OK), -1);
}

int main(void)
{
    if (mkdtemp(dir) == NULL) {
        return 2;
    }
    snprintf(kpath, sizeof(kpath), "%s/kernel.elf", dir);
    snprintf(outpath, sizeof(outpath), "%s/out.img", dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_and_hashes),
        cmocka_unit_test(test_failures_leave_no_file),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(kpath);
    unlink(outpath);
    rmdir(dir);
    return rc;
}
