// The fault-injection scenarios' interface to their driver (faults.c).
// A scenario is a function that runs one piece of the library end to end
// and checks each step's outcome: TF_CHECK for what must hold in any case,
// TF_ERR when a step ended in an error that its caller sees (allowed only
// after an allocation failed). It frees everything it made.
#ifndef TF_FAULTS_H
#define TF_FAULTS_H
#include "../../tornado.h"
#include <stdarg.h>
#include <stdbool.h>

typedef struct tf_case {
    const char *name;
    void (*run)(void);
} tf_case;

void tf_register(const tf_case *c);
// A result that is neither right nor an error: fails the run.
void tf_wrong(const char *file, int line, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
// A step ended in an error: fails the run unless an allocation failed before.
bool tf_err(const char *file, int line, const char *what);

#define TF_SCENARIO(name_)                                                     \
    static void tf_##name_(void);                                              \
    static const tf_case tf_case_##name_ = {#name_, tf_##name_};               \
    __attribute__((constructor)) static void tf_reg_##name_(void) {            \
        tf_register(&tf_case_##name_);                                         \
    }                                                                          \
    static void tf_##name_(void)

#define TF_CHECK(c)                                                            \
    do {                                                                       \
        if (!(c)) tf_wrong(__FILE__, __LINE__, "TF_CHECK(%s)", #c);            \
    } while (0)
#define TF_ERR(what) tf_err(__FILE__, __LINE__, (what))
// Runs expr, an int call: an error is TF_ERR and makes the scenario's step
// `return`; otherwise goes on.
#define TF_TRY(expr)                                                           \
    do {                                                                       \
        int tf_r_ = (expr);                                                    \
        if (tf_r_ < 0) {                                                       \
            if (tf_r_ != TN_ENOMEM)                                            \
                tf_wrong(__FILE__, __LINE__, "%s: %s, not TN_ENOMEM", #expr, tn_err_name(tf_r_)); \
            TF_ERR(#expr);                                                     \
            return;                                                            \
        }                                                                      \
    } while (0)

#endif
