#pragma once
// Every fuzz target defines LLVMFuzzerTestOneInput. Built with clang's -fsanitize=fuzzer it is
// a libFuzzer binary (scripts/fuzz.sh); built with replaymain.cpp it replays the seed corpus
// as a regression test in the normal test run.

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
