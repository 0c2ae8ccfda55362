#pragma once

// What the benchmark programs share: how they print a figure, and how they read their own
// resident memory.
namespace BenchSupport {

// Prints "name: value unit" on a line of its own, which run-all.sh collects.
void report(const char *name, double value, const char *unit);
// VmRSS of this process in MB, or -1.
double residentMegabytes();
// A benchmark's QApplication keeps away from the user's settings and data.
void isolateFromUserData();

} // namespace BenchSupport
