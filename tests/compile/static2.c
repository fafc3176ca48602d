#define TORNADO_STATIC
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
const char *static2_version(void) { return tn_version(); }
