// ---------------------------------------------------------------------------
// >>error_internal  System errors as TN_E* codes (base/error.c)
// ---------------------------------------------------------------------------
#ifndef TN__BASE_ERROR_INTERNAL_H
#define TN__BASE_ERROR_INTERNAL_H
#include "base/internal.h"

// Maps a system errno to a TN_E* code; unknown ones become TN_ESYS.
TN__INTERNAL int tn__err_from_errno(int e);
#endif
