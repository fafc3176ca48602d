// A user file for the TLS build as C++ (tests/compile/Makefile cxx17-tls):
// a client context needs OpenSSL for real, so the program links -lssl
// -lcrypto and runs it.
#include "../../tornado.h"

int main(void) {
    tn_tls_desc desc = {};  // C++: no designated initialisers before C++20
    tn_tls_ctx *ctx = tn_tls_ctx_new(&desc);
    if (!ctx) return 1;
    tn_tls_ctx_free(ctx);
    return 0;
}
