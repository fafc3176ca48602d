/*
    tornado.h: Python's Tornado web framework and asynchronous networking
    library, in C, as one header.

    Do this in exactly one C or C++ file, before any other include:

        #define TORNADO_IMPLEMENTATION
        #include "tornado.h"

    and include "tornado.h" without the define everywhere else.
    (The guide is filled in as the modules land.)
*/
