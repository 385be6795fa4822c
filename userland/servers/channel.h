/* The message box the example producer and consumer share in a channel. */
#ifndef SRV_EXAMPLE_CHANNEL_H
#define SRV_EXAMPLE_CHANNEL_H

#include <stdint.h>

#define MSG_COUNT 5u

struct msg_box {
    uint32_t seq; /* written last (release): the text of message seq is complete */
    uint32_t reserved;
    char text[56];
};

#endif
