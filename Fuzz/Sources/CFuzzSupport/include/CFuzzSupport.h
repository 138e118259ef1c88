#ifndef RECON_FUZZ_SUPPORT_H
#define RECON_FUZZ_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's own driver (libclang_rt.fuzzer, linked by `-sanitize=fuzzer`): parses libFuzzer's
/// command line and calls `callback` once per input. Each fuzz target's main calls it, because
/// SwiftPM links executables with `--defsym main=<Module>_main`, which stands in for libFuzzer's
/// own `main`.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

/// An anonymous in-memory file (memfd_create, which Swift's Glibc module does not show); -1 on failure.
int recon_fuzz_memory_file(void);

#endif
