// The implementation alone, compiled as C99, C11 and C++17 by tests/compile/Makefile.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
