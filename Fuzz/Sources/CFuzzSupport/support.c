#define _GNU_SOURCE
#include <sys/mman.h>

#include "CFuzzSupport.h"

int recon_fuzz_memory_file(void) { return memfd_create("recon-fuzz", 0); }
