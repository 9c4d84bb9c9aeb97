// Declarations only (see include/CLibFuzzer.h); libFuzzer itself comes from the toolchain's compiler-rt.
#include "CLibFuzzer.h"
