#include <bh/print.h>
#include <bh/sys.h>

#include <bulkhead/bootinfo.h>

int main(const struct bh_bootinfo *bi);

void bh_main_entry(const struct bh_bootinfo *bi)
{
    int status = main(bi);
    bh_flush();
    bh_exit((uint64_t)(int64_t)status);
}
