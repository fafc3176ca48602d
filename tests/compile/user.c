// A user file: declarations only, plus a main that calls into the library.
#include "../../tornado.h"
#include <stdio.h>
#include <string.h>

int main(void) {
    if (strcmp(tn_version(), TN_VERSION_STRING) != 0) return 1;
    if (tn_strerror(TN_ETIMEDOUT)[0] == '\0') return 1;
    return 0;
}
