// libFuzzer's driver entry point (compiler-rt, linked by -sanitize=fuzzer). SwiftPM gives every executable its own
// entry symbol, so the fuzz targets call the driver from their main.swift instead of using libFuzzer's main().
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
