// PCRE2 (8-bit code units) for Swift. Swift cannot call PCRE2's function-like macros
// (pcre2_compile expands to pcre2_compile_8), so these tiny inline functions do it; the
// constants are re-exported as plain values for the same reason.
#ifndef RECON_PCRE2_SHIM_H
#define RECON_PCRE2_SHIM_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

/// Compiles `length` bytes of pattern (no UTF mode: each byte is a character). Returns NULL
/// with *error and *offset set when the pattern does not compile.
static inline pcre2_code *recon_pcre2_compile(const uint8_t *pattern, size_t length, uint32_t options,
                                              int *error, size_t *offset) {
    return pcre2_compile(pattern, length, options, error, offset, NULL);
}

/// Compiles the pattern to machine code for complete matches; 0 on success (matching then
/// uses it), a negative error when JIT is unavailable (matching then interprets).
static inline int recon_pcre2_jit_compile(pcre2_code *code) {
    return pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
}

static inline void recon_pcre2_code_free(pcre2_code *code) { pcre2_code_free(code); }

/// The number of capture groups of a compiled pattern.
static inline uint32_t recon_pcre2_capture_count(const pcre2_code *code) {
    uint32_t count = 0;
    pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &count);
    return count;
}

/// Writes the message of an error code into buffer (NUL-terminated); returns its length or a
/// negative error.
static inline int recon_pcre2_error_message(int error, uint8_t *buffer, size_t size) {
    return pcre2_get_error_message(error, buffer, size);
}

/// A match context holding the limits of every match made with it, and a JIT stack that
/// grows from 32 KiB up to `jit_stack_max` bytes. A context with its stack serves one
/// thread at a time. Returns NULL when out of memory.
static inline pcre2_match_context *recon_pcre2_match_context_create(uint32_t match_limit, uint32_t depth_limit,
                                                                   uint32_t heap_limit_kib) {
    pcre2_match_context *context = pcre2_match_context_create(NULL);
    if (context == NULL) return NULL;
    pcre2_set_match_limit(context, match_limit);
    pcre2_set_depth_limit(context, depth_limit);
    pcre2_set_heap_limit(context, heap_limit_kib);
    return context;
}

static inline void recon_pcre2_match_context_free(pcre2_match_context *context) {
    pcre2_match_context_free(context);
}

static inline pcre2_jit_stack *recon_pcre2_jit_stack_create(size_t start_size, size_t max_size) {
    return pcre2_jit_stack_create(start_size, max_size, NULL);
}

static inline void recon_pcre2_jit_stack_free(pcre2_jit_stack *stack) { pcre2_jit_stack_free(stack); }

/// Makes JIT matches with this context run on `stack` (NULL: 32 KiB of the machine stack).
static inline void recon_pcre2_jit_stack_assign(pcre2_match_context *context, pcre2_jit_stack *stack) {
    pcre2_jit_stack_assign(context, NULL, stack);
}

/// Room for the offsets of `pairs` (whole match plus groups) offset pairs.
static inline pcre2_match_data *recon_pcre2_match_data_create(uint32_t pairs) {
    return pcre2_match_data_create(pairs, NULL);
}

static inline void recon_pcre2_match_data_free(pcre2_match_data *data) { pcre2_match_data_free(data); }

/// Matches `length` bytes of subject from offset 0. Returns the number of pairs set (> 0),
/// PCRE2_ERROR_NOMATCH, or another negative error (a limit reached, among others).
static inline int recon_pcre2_match(const pcre2_code *code, const uint8_t *subject, size_t length, uint32_t options,
                                    pcre2_match_data *data, pcre2_match_context *context) {
    return pcre2_match(code, subject, length, 0, options, data, context);
}

/// The offset vector of the last match: start and end of the whole match, then of each group
/// (both PCRE2_UNSET for a group that did not take part).
static inline const size_t *recon_pcre2_ovector(pcre2_match_data *data) { return pcre2_get_ovector_pointer(data); }

/// 1 when this build of PCRE2 can compile patterns to machine code.
static inline int recon_pcre2_jit_available(void) {
    uint32_t available = 0;
    pcre2_config(PCRE2_CONFIG_JIT, &available);
    return (int)available;
}

static const uint32_t RECON_PCRE2_CASELESS = PCRE2_CASELESS;
static const uint32_t RECON_PCRE2_DOTALL = PCRE2_DOTALL;
static const uint32_t RECON_PCRE2_ANCHORED = PCRE2_ANCHORED;
static const int RECON_PCRE2_ERROR_NOMATCH = PCRE2_ERROR_NOMATCH;
static const int RECON_PCRE2_ERROR_MATCHLIMIT = PCRE2_ERROR_MATCHLIMIT;
static const int RECON_PCRE2_ERROR_DEPTHLIMIT = PCRE2_ERROR_DEPTHLIMIT;
static const int RECON_PCRE2_ERROR_HEAPLIMIT = PCRE2_ERROR_HEAPLIMIT;
static const int RECON_PCRE2_ERROR_JIT_STACKLIMIT = PCRE2_ERROR_JIT_STACKLIMIT;
static const int RECON_PCRE2_ERROR_NOMEMORY = PCRE2_ERROR_NOMEMORY;

#endif
