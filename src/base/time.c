// >>time implementation
#include "base/internal.h"
#include "base/time.h"

#include <time.h>

#if defined(_WIN32)
#include "base/os_internal.h"

TN_API double tn_time_monotonic(void) {
    static LARGE_INTEGER freq;  // fixed at boot: a race writes the same value
    LARGE_INTEGER now;
    if (!freq.QuadPart) QueryPerformanceFrequency(&freq);
    QueryPerformanceCounter(&now);
    return (double)now.QuadPart / (double)freq.QuadPart;
}

// FILETIME counts 100 ns from 1601; the Unix epoch is 11644473600 s later.
TN_API double tn_time_wall(void) {
    FILETIME ft;
    GetSystemTimePreciseAsFileTime(&ft);
    uint64_t t = ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
    return (double)t * 1e-7 - 11644473600.0;
}
#else
TN_API double tn_time_monotonic(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

TN_API double tn_time_wall(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
#endif
