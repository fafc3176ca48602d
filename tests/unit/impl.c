// The one translation unit that holds the implementation, as in a user's program.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
