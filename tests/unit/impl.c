// The one translation unit that holds the implementation, as in a user's program.
#define TORNADO_IMPLEMENTATION
#include "../../tornado.h"

#if defined(_WIN32)
// For the tests' tt_socketpair (sock.h): the pair the loop wakes itself with.
int tt_os_socketpair(int sv[2]);
int tt_os_socketpair(int sv[2]) { return tn__os_socketpair(sv); }

// The tests' own socket calls may come before the library's first one,
// which starts Winsock.
__attribute__((constructor)) static void tt_os_startup(void) { tn__os_startup(); }
#endif
