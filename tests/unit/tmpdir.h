// Temporary folders and files for tests that serve or load files, on POSIX and on
// Windows (mingw-w64 has no mkdtemp and no rm).
#ifndef TT_TMPDIR_H
#define TT_TMPDIR_H
#include "test.h"
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(_WIN32)
#  include <direct.h>
#  include <fcntl.h>
#  include <io.h>
#endif

// Makes a folder "/tmp/<prefix>XXXXXX" (made unique) into dir (64 bytes).
static __attribute__((unused)) void tt_tmpdir(char *dir, const char *prefix) {
    snprintf(dir, 64, "/tmp/%sXXXXXX", prefix);
#if defined(_WIN32)
    _mkdir("/tmp");  // wine's Z: drive is the root: /tmp is there already
    if (!_mktemp(dir) || _mkdir(dir) != 0) tt_fail(__FILE__, __LINE__, "cannot make %s", dir);
#else
    if (!mkdtemp(dir)) tt_fail(__FILE__, __LINE__, "cannot make %s", dir);
#endif
}

static __attribute__((unused)) int tt_mkdir(const char *path) {
#if defined(_WIN32)
    return _mkdir(path);
#else
    return mkdir(path, 0700);
#endif
}

// An anonymous temporary file open for reading and writing (bytes as they
// are), gone once every descriptor of it is closed.
static __attribute__((unused)) int tt_tmpfile(void) {
    char path[64] = "/tmp/tn_file_XXXXXX";
#if defined(_WIN32)  // an open file cannot be unlinked: Windows deletes it at the last close
    int fd = _mktemp(path) ? _open(path, _O_CREAT | _O_EXCL | _O_RDWR | _O_BINARY | _O_TEMPORARY, 0600) : -1;
#else
    int fd = mkstemp(path);
    unlink(path);
#endif
    if (fd < 0) tt_fail(__FILE__, __LINE__, "cannot make %s", path);
    return fd;
}

// Removes a folder made by tt_tmpdir and all it holds.
static __attribute__((unused)) void tt_rm_tree(const char *dir) {
#if defined(_WIN32)  // by hand: wine's cmd.exe leaves rmdir /s half done
    char path[600];
    snprintf(path, sizeof path, "%s/*", dir);
    struct _finddata_t f;
    intptr_t h = _findfirst(path, &f);
    for (int more = h != -1; more; more = _findnext(h, &f) == 0) {
        if (!strcmp(f.name, ".") || !strcmp(f.name, "..")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, f.name);
        if (f.attrib & _A_SUBDIR) tt_rm_tree(path);
        else if (_unlink(path) != 0) tt_fail(__FILE__, __LINE__, "cannot remove %s", path);
    }
    if (h != -1) _findclose(h);
    if (_rmdir(dir) != 0) tt_fail(__FILE__, __LINE__, "cannot remove %s", dir);
#else
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) tt_fail(__FILE__, __LINE__, "%s failed", cmd);
#endif
}
#endif
