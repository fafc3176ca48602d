// Two translation units each hold a private (TORNADO_STATIC) copy; they must link.
#define TORNADO_STATIC
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"
#include <string.h>
const char *static2_version(void);
int main(void) { return strcmp(tn_version(), static2_version()) != 0; }
