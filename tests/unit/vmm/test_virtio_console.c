/* virtio-console (one port): transmit into whole prefixed lines, receive
 * through driver buffers (buffered until they exist), queue layout, and
 * receive-queue misuse -> DEVICE_NEEDS_RESET. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <vmm/virtio_console.h>

#include "virtio_driver.h"

#define OK_STATUS                                                                                  \
    (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |                \
     VIRTIO_STATUS_DRIVER_OK)
#define TXBUF (RAM_BASE + 0x20000u)
#define RXBUF (RAM_BASE + 0x30000u)

static struct virtio_console con;
static struct virtio_mmio *t = &con.mmio;
static struct drv_q rxq, txq;
static char console[1024];
static size_t console_len;

static void sink(void *ctx, const char *line, size_t len)
{
    (void)ctx;
    assert_true(console_len + len < sizeof(console));
    assert_true(line[len - 1] == '\n');
    memcpy(console + console_len, line, len);
    console_len += len;
    console[console_len] = '\0';
}

static int setup(void **state)
{
    (void)state;
    drv_reset_ram();
    console_len = 0;
    console[0] = '\0';
    virtio_console_init(&con, "vm1", sink, NULL, &mem, &test_irq);
    return 0;
}

static void go_live(void)
{
    assert_int_equal(drv_negotiate(t, 1ull << VIRTIO_F_VERSION_1),
                     OK_STATUS & ~VIRTIO_STATUS_DRIVER_OK);
    drv_setup_queue(t, 0, 4, &rxq);
    drv_setup_queue(t, 1, 4, &txq);
    mw(t, 0x070, OK_STATUS);
    assert_int_equal(mr(t, 0x070), OK_STATUS);
}

static void send(uint16_t slot, const char *s)
{
    size_t n = strlen(s);
    memcpy(gp(TXBUF + 0x100u * slot), s, n);
    drv_set_desc(&txq, slot, TXBUF + 0x100u * slot, (uint32_t)n, 0, 0);
    drv_avail(&txq, slot);
}

static void test_ids_and_features(void **state)
{
    (void)state;
    assert_int_equal(mr(t, 0x008), VIRTIO_ID_CONSOLE);
    mw(t, 0x014, 0);
    /* No SIZE, MULTIPORT or EMERG_WRITE (bits 0-2). */
    assert_int_equal(mr(t, 0x010) & 7u, 0);
    mw(t, 0x014, 1);
    assert_int_equal(mr(t, 0x010), 1);
    mw(t, 0x030, 1);
    assert_int_equal(mr(t, 0x034), VIRTQ_MAX_SIZE);
    mw(t, 0x030, 2);
    assert_int_equal(mr(t, 0x034), 0);
    assert_int_equal(mr(t, 0x100), 0);
    assert_int_equal(mr(t, 0x104), 0);
    mw(t, 0x108, 'x'); /* emerg_wr without the feature: ignored */
    assert_int_equal(console_len, 0);
    /* MULTIPORT is not offered, so asking for it fails FEATURES_OK. */
    assert_int_equal(drv_negotiate(t, (1ull << VIRTIO_F_VERSION_1) | 2u),
                     VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
}

static void test_transmit_lines(void **state)
{
    uint32_t id, len;
    (void)state;
    go_live();
    send(0, "hello ");
    send(1, "world\r\nsecond");
    mw(t, 0x050, 1);
    assert_string_equal(console, "[vm1] hello world\n");
    assert_int_equal(drv_used_idx(&txq), 2);
    drv_used_elem(&txq, 1, &id, &len);
    assert_int_equal(id, 1);
    assert_int_equal(len, 0);
    assert_int_equal(mr(t, 0x060), VIRTIO_INT_VRING);
    send(2, " line\n");
    mw(t, 0x050, 1);
    assert_string_equal(console, "[vm1] hello world\n[vm1] second line\n");
}

static void test_receive(void **state)
{
    uint32_t id, len;
    (void)state;
    /* Input before the driver is ready waits in the device. */
    assert_int_equal(virtio_console_rx_push(&con, (const uint8_t *)"abcdef", 6), 6);
    go_live();
    assert_int_equal(drv_used_idx(&rxq), 0);
    /* Two 4-byte receive buffers: "abcd" then "ef". */
    drv_set_desc(&rxq, 0, RXBUF, 4, VIRTQ_DESC_F_WRITE, 0);
    drv_set_desc(&rxq, 1, RXBUF + 0x100, 4, VIRTQ_DESC_F_WRITE, 0);
    drv_avail(&rxq, 0);
    drv_avail(&rxq, 1);
    mw(t, 0x050, 0);
    assert_int_equal(drv_used_idx(&rxq), 2);
    drv_used_elem(&rxq, 0, &id, &len);
    assert_int_equal(id, 0);
    assert_int_equal(len, 4);
    assert_memory_equal(gp(RXBUF), "abcd", 4);
    drv_used_elem(&rxq, 1, &id, &len);
    assert_int_equal(id, 1);
    assert_int_equal(len, 2);
    assert_memory_equal(gp(RXBUF + 0x100), "ef", 2);
    assert_true(irq_level);
    /* With no buffers, input is kept (up to the buffer size) and delivered later. */
    static uint8_t big[VIRTIO_CONSOLE_RX_BUF + 10];
    memset(big, 'z', sizeof(big));
    assert_int_equal(virtio_console_rx_push(&con, big, sizeof(big)), VIRTIO_CONSOLE_RX_BUF);
    assert_int_equal(virtio_console_rx_push(&con, big, 1), 0);
    drv_set_desc(&rxq, 2, RXBUF, 0x200, VIRTQ_DESC_F_WRITE, 0);
    drv_avail(&rxq, 2);
    mw(t, 0x050, 0);
    drv_used_elem(&rxq, 2, &id, &len);
    assert_int_equal(len, VIRTIO_CONSOLE_RX_BUF);
    assert_false(drv_needs_reset(t));
}

static void test_rx_readable_buffer_is_violation(void **state)
{
    (void)state;
    go_live();
    drv_set_desc(&rxq, 0, RXBUF, 4, 0, 0); /* device-readable: wrong for receiveq */
    drv_avail(&rxq, 0);
    assert_int_equal(virtio_console_rx_push(&con, (const uint8_t *)"x", 1), 1);
    assert_true(drv_needs_reset(t));
    assert_int_equal(mr(t, 0x060) & VIRTIO_INT_CONFIG, VIRTIO_INT_CONFIG);
    assert_int_equal(drv_used_idx(&rxq), 0);
}

static void test_tx_bad_address(void **state)
{
    (void)state;
    go_live();
    drv_set_desc(&txq, 0, RAM_BASE + RAM_SIZE - 2, 4, 0, 0);
    drv_avail(&txq, 0);
    mw(t, 0x050, 1);
    assert_true(drv_needs_reset(t));
    assert_int_equal(console_len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ids_and_features, setup),
        cmocka_unit_test_setup(test_transmit_lines, setup),
        cmocka_unit_test_setup(test_receive, setup),
        cmocka_unit_test_setup(test_rx_readable_buffer_is_violation, setup),
        cmocka_unit_test_setup(test_tx_bad_address, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
