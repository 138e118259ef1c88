#define _GNU_SOURCE
#include <sys/mman.h>

#include "CFuzzSupport.h"

int recon_fuzz_memory_file(void) { return memfd_create("recon-fuzz", 0); }

/* LeakSanitizer suppressions, read once at start-up. FoundationXML leaks the CFString of every
 * libxml2 error it turns into an NSError (swift-corelibs-foundation's _CFErrorCreateFromXMLInterface,
 * 72 bytes per malformed document): not recon's memory, and a CLI run parses one file. */
const char *__lsan_default_suppressions(void) { return "leak:_CFErrorCreateFromXMLInterface\n"; }
