// ---------------------------------------------------------------------------
// >>time  Clocks
// ---------------------------------------------------------------------------
#ifndef TN__BASE_TIME_H
#define TN__BASE_TIME_H
#include "base/config.h"
TN__BEGIN_DECLS

// Seconds on a monotonic clock (unaffected by wall-clock changes). The loop
// caches it once per iteration: prefer tn_loop_time() inside callbacks.
TN_API double tn_time_monotonic(void);
// Seconds since the Unix epoch, wall clock.
TN_API double tn_time_wall(void);

TN__END_DECLS
#endif
