/* Freestanding <stdlib.h>: libfdt includes it but needs nothing from it here. */
#ifndef BH_LIB_STDLIB_H
#define BH_LIB_STDLIB_H

#include <stddef.h>

#endif
