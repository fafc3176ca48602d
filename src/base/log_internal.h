// ---------------------------------------------------------------------------
// >>log_internal  The library's own log lines (tornado.general)
// ---------------------------------------------------------------------------
// User code logs on the application channel (TN_LOGI...); the library's
// protocol and network events go to the general one, as Tornado's do.
#ifndef TN__BASE_LOG_INTERNAL_H
#define TN__BASE_LOG_INTERNAL_H
#include "base/internal.h"
#include "base/log.h"

#define TN__LOGD(...) TN_LOG(TN_LOG_DEBUG, TN_LOG_GENERAL, __VA_ARGS__)
#define TN__LOGI(...) TN_LOG(TN_LOG_INFO, TN_LOG_GENERAL, __VA_ARGS__)
#define TN__LOGW(...) TN_LOG(TN_LOG_WARNING, TN_LOG_GENERAL, __VA_ARGS__)
#define TN__LOGE(...) TN_LOG(TN_LOG_ERROR, TN_LOG_GENERAL, __VA_ARGS__)

// Sends this thread's lines to `sink` (NULL, or a sink without cb: the
// process-wide writer); returns the previous one. The loop calls it as it
// becomes current; `sink` must stay valid while it is in use.
TN__INTERNAL const tn_logger *tn__log_use(const tn_logger *sink);
#endif
