/*
 * Writes small fake payload files with the right shape (arm64 Image header,
 * ELF64 headers, a disk image) for the spec tests, so no binary is committed.
 * usage: bh_mkpayloads DIR
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <zlib.h>

static int write_file(const char *dir, const char *name, const uint8_t *data, size_t size)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        fprintf(stderr, "bh_mkpayloads: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t n = fwrite(data, 1, size, f);
    if (fclose(f) != 0 || n != size) {
        fprintf(stderr, "bh_mkpayloads: %s: write failed\n", path);
        return -1;
    }
    return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static void elf_header(uint8_t *h, uint16_t machine)
{
    memset(h, 0, 64);
    h[0] = 0x7f;
    h[1] = 'E';
    h[2] = 'L';
    h[3] = 'F';
    h[4] = 2;  /* ELFCLASS64 */
    h[5] = 1;  /* little-endian */
    h[6] = 1;  /* EV_CURRENT */
    h[16] = 2; /* ET_EXEC */
    h[18] = (uint8_t)machine;
    h[19] = (uint8_t)(machine >> 8);
    put32(h + 20, 1);
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

/* A kernel ELF the image writer accepts: one PT_LOAD whose first bytes are an
 * arm64 Image header, entry at its start. It is never booted. */
static void fake_kernel(uint8_t *k, const uint8_t *image, size_t image_size)
{
    elf_header(k, 183);
    put64(k + 24, 0x40000000u); /* e_entry */
    put64(k + 32, 64);          /* e_phoff */
    k[52] = 64;                 /* e_ehsize */
    k[54] = 56;                 /* e_phentsize */
    k[56] = 1;                  /* e_phnum */
    uint8_t *ph = k + 64;
    put32(ph + 0, 1); /* PT_LOAD */
    put32(ph + 4, 7); /* RWX */
    put64(ph + 8, 0x1000);
    put64(ph + 16, 0x40000000u);
    put64(ph + 24, 0x40000000u);
    put64(ph + 32, image_size);
    put64(ph + 40, image_size);
    put64(ph + 48, 0x1000);
    memcpy(k + 0x1000, image, image_size);
}

/* gzip (RFC 1952) of n bytes into out; returns its size, 0 on failure. */
static size_t gzip_buf(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        return 0;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    size_t size = z.total_out;
    deflateEnd(&z);
    return rc == Z_STREAM_END ? size : 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bh_mkpayloads DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    static const char *const subdirs[] = {
        "", "/linux", "/control", "/channel", "/passthrough", "/servers", "/bad"};
    for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s%s", dir, subdirs[i]);
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "bh_mkpayloads: %s: %s\n", path, strerror(errno));
            return 1;
        }
    }
    static uint8_t image[4096];
    memset(image, 0, sizeof(image));
    put32(image + 0, 0x14000010u); /* b #0x40 */
    put32(image + 8, 0);           /* text_offset */
    put32(image + 16, sizeof(image));
    put32(image + 56, 0x644d5241u); /* "ARM\x64" */
    static const uint8_t gz[] = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03,
                                 0x03, 0x00, 0,    0,    0, 0, 0, 0, 0,    0};
    static uint8_t disk[4096];
    static uint8_t odd[1000];
    uint8_t elf[64], x86[64];
    elf_header(elf, 183);
    elf_header(x86, 62);
    static const char text[] = "this is not a kernel image\n";
    static uint8_t kernel[0x1000 + sizeof(image)];
    fake_kernel(kernel, image, sizeof(image));
    int rc = 0;
    rc |= write_file(dir, "fake-kernel.elf", kernel, sizeof(kernel));
    rc |= write_file(dir, "linux/Image", image, sizeof(image));
    rc |= write_file(dir, "linux/initrd.cpio.gz", gz, sizeof(gz));
    rc |= write_file(dir, "linux/rootfs.img", disk, sizeof(disk));
    rc |= write_file(dir, "control/control.img", image, sizeof(image));
    /* The example guests (the real ones are in <build>/target/payloads). */
    rc |= write_file(dir, "channel/sender.img", image, sizeof(image));
    rc |= write_file(dir, "channel/receiver.img", image, sizeof(image));
    rc |= write_file(dir, "passthrough/rtc.img", image, sizeof(image));
    rc |= write_file(dir, "servers/logger.elf", elf, sizeof(elf));
    rc |= write_file(dir, "servers/clock.elf", elf, sizeof(elf));
    rc |= write_file(dir, "servers/vmm.elf", elf, sizeof(elf));
    /* The server examples' programs (the real ones are in <build>/target/userland). */
    rc |= write_file(dir, "servers/producer.elf", elf, sizeof(elf));
    rc |= write_file(dir, "servers/consumer.elf", elf, sizeof(elf));
    rc |= write_file(dir, "servers/crasher.elf", elf, sizeof(elf));
    rc |= write_file(dir, "servers/probe.elf", elf, sizeof(elf));
    rc |= write_file(dir, "bad/not-image.bin", (const uint8_t *)text, sizeof(text) - 1);
    rc |= write_file(dir, "bad/x86.elf", x86, sizeof(x86));
    rc |= write_file(dir, "bad/odd.img", odd, sizeof(odd));
    rc |= write_file(dir, "bad/empty", odd, 0);
    /* gzip kernels: the fake Image (good), and bad ones: text, a first deflate
     * block of the reserved type 3 (bits 1-2 of the byte after the 10-byte
     * header), the Image's gzip cut in half. */
    static uint8_t gzb[2][8192];
    size_t gz_image = gzip_buf(image, sizeof(image), gzb[0], sizeof(gzb[0]));
    size_t gz_text = gzip_buf((const uint8_t *)text, sizeof(text) - 1, gzb[1], sizeof(gzb[1]));
    if (gz_image < 11 || gz_text == 0) {
        fprintf(stderr, "bh_mkpayloads: zlib could not compress the fake payloads\n");
        return 1;
    }
    rc |= write_file(dir, "linux/Image.gz", gzb[0], gz_image);
    rc |= write_file(dir, "bad/text.gz", gzb[1], gz_text);
    rc |= write_file(dir, "bad/truncated.gz", gzb[0], gz_image / 2);
    gzb[0][10] |= 0x06;
    rc |= write_file(dir, "bad/corrupt.gz", gzb[0], gz_image);
    return rc != 0 ? 1 : 0;
}
