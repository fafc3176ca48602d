// webspider: Tornado's demos/webspider in C. A queue feeds N workers; each
// fetches a URL, prints it, and queues the links of the page that stay
// under the base URL. Ends when the queue is drained, with a count.
//
//   build/webspider [--concurrency=10] [--timeout=300s] [BASE_URL]   (--help lists all)
//
// BASE_URL defaults to Tornado's, "http://www.tornadoweb.org/en/stable/"
// (which now moves to https://, not built in yet: give a local one).
// Build alone: cc -O2 -o webspider examples/webspider.c -pthread
#define TORNADO_IMPLEMENTATION
#include "../tornado.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ---- a set of URLs (open addressing; the set owns its strings)

typedef struct url_set {
    char **slots;
    size_t cap, count;
} url_set;

static size_t hash(const char *s) {
    size_t h = 14695981039346656037u;
    while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211u;
    return h;
}

static bool set_has(const url_set *set, const char *s) {
    for (size_t i = set->cap ? hash(s) & (set->cap - 1) : 0; set->cap && set->slots[i]; i = (i + 1) & (set->cap - 1))
        if (strcmp(set->slots[i], s) == 0) return true;
    return false;
}

// Takes s (malloc'd) into the set, which must not hold it yet.
static void set_add(url_set *set, char *s) {
    if (2 * (set->count + 1) > set->cap) {
        url_set bigger = {calloc(set->cap ? 2 * set->cap : 64, sizeof(char *)), set->cap ? 2 * set->cap : 64, 0};
        if (!bigger.slots) abort();
        for (size_t i = 0; i < set->cap; i++)
            if (set->slots[i]) set_add(&bigger, set->slots[i]);
        free(set->slots);
        *set = bigger;
    }
    size_t i = hash(s) & (set->cap - 1);
    while (set->slots[i]) i = (i + 1) & (set->cap - 1);
    set->slots[i] = s;
    set->count++;
}

static void set_free(url_set *set) {
    for (size_t i = 0; i < set->cap; i++) free(set->slots[i]);
    free(set->slots);
}

// ---- links: the href of every <a> tag, as Python's HTMLParser finds them

// Decodes the few character references an href holds (&amp; &lt; &gt;
// &quot; &#39; &#NN; &#xNN;) in place.
static size_t unescape(char *s, size_t n) {
    static const struct { const char *name; char c; } named[] = {
        {"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        for (size_t k = 0; c == '&' && k < sizeof named / sizeof named[0]; k++) {
            size_t len = strlen(named[k].name);
            if (n - i - 1 >= len && memcmp(s + i + 1, named[k].name, len) == 0) {
                c = named[k].c;
                i += len;
            }
        }
        if (c == '&' && i + 2 < n && s[i + 1] == '#') {
            char *end;
            bool hex = s[i + 2] == 'x' || s[i + 2] == 'X';
            long v = strtol(s + i + 2 + hex, &end, hex ? 16 : 10);
            if (end > s + i + 2 + hex && end < s + n && *end == ';' && v > 0 && v < 128) {
                c = (char)v;
                i = (size_t)(end - s);
            }
        }
        s[o++] = c;
    }
    return o;
}

static bool starts_nocase(const char *p, const char *end, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(end - p) < n) return false;
    for (size_t i = 0; i < n; i++)
        if ((p[i] | 0x20) != word[i]) return false;
    return true;
}

// The value of attribute `name` in the tag p..end (after its name), or NULL.
static const char *attr_value(const char *p, const char *end, const char *name, size_t *len) {
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '/')) p++;
        const char *an = p;
        while (p < end && *p != '=' && *p != ' ' && *p != '>' && *p != '\t' && *p != '\n') p++;
        bool match = (size_t)(p - an) == strlen(name) && starts_nocase(an, p, name);
        if (p >= end || *p != '=') continue;
        char q = *++p;
        const char *v = q == '"' || q == '\'' ? ++p : p;
        while (p < end && (q == '"' || q == '\'' ? *p != q : *p != ' ' && *p != '>' && *p != '\t')) p++;
        if (match) {
            *len = (size_t)(p - v);
            return v;
        }
        if (p < end) p++;
    }
    return NULL;
}

typedef void (*link_cb)(const char *href, size_t len, void *arg);

// Calls fn for the href of every <a> tag outside comments and scripts.
static void each_link(const char *p, size_t n, link_cb fn, void *arg) {
    const char *end = p + n;
    while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
        const char *skip_to = starts_nocase(p, end, "<!--")      ? "-->"
                              : starts_nocase(p, end, "<script") ? "</script"
                              : starts_nocase(p, end, "<style")  ? "</style"
                                                                 : NULL;
        if (skip_to) {
            const char *stop = memmem(p + 1, (size_t)(end - p - 1), skip_to, strlen(skip_to));
            if (!stop) return;
            p = stop + 1;
            continue;
        }
        const char *close = memchr(p, '>', (size_t)(end - p));
        if (!close) return;
        if (starts_nocase(p, close, "<a") && (p[2] == ' ' || p[2] == '\t' || p[2] == '\n' || p[2] == '\r')) {
            size_t len;
            const char *href = attr_value(p + 2, close, "href", &len);
            if (href) fn(href, len, arg);
        }
        p = close + 1;
    }
}

// ---- the spider

#define END_OF_WORK ((void *)&spider_end_marker)  // a worker's "None": stop
static char spider_end_marker;

typedef struct spider {
    tn_loop *loop;
    tn_http_client *client;
    tn_queue *queue;
    const char *base_url;
    url_set fetching;
    int fetched, dead, workers_left, result;
    double start;
} spider;

typedef struct worker {
    spider *sp;
    char *url;  // the page being fetched (owned by sp->fetching)
} worker;

static void worker_next(worker *w);

typedef struct {
    spider *sp;
    const char *page;
} link_ctx;

// Tornado's urljoin(url, remove_fragment(href)), kept when under the base.
static void queue_link(const char *href, size_t len, void *arg) {
    link_ctx *ctx = arg;
    char *raw = strndup(href, len);
    tn_buf url = {0};
    size_t n = unescape(raw, len);
    char *hash_mark = memchr(raw, '#', n);
    if (hash_mark) n = (size_t)(hash_mark - raw);
    if (tn_url_join(&url, tn_str_c(ctx->page), (tn_str){raw, n}) == 0 &&
        strncmp(url.data, ctx->sp->base_url, strlen(ctx->sp->base_url)) == 0) {
        char *item = strdup(url.data);
        if (tn_queue_put_nowait(ctx->sp->queue, item) != 0) free(item);
    }
    tn_buf_free(&url);
    free(raw);
}

static void on_page(const tn_fetch_response *r, void *arg) {
    worker *w = arg;
    spider *sp = w->sp;
    if (r->error) {
        printf("Exception: %s %s\n", r->error_message, w->url);
        sp->dead++;
    } else {
        printf("fetched %s\n", w->url);
        sp->fetched++;
        link_ctx ctx = {sp, r->effective_url};  // links are relative to where we landed
        each_link(r->body.ptr, r->body.len, queue_link, &ctx);
    }
    tn_queue_task_done(sp->queue);
    worker_next(w);
}

static void on_item(tn_loop *loop, int status, void *item, void *arg) {
    worker *w = arg;
    spider *sp = w->sp;
    (void)loop;
    if (status != 0 || item == END_OF_WORK) {
        if (--sp->workers_left == 0) tn_loop_stop(sp->loop);
        return;
    }
    if (set_has(&sp->fetching, item)) {
        free(item);
        tn_queue_task_done(sp->queue);
        worker_next(w);
        return;
    }
    printf("fetching %s\n", (char *)item);
    set_add(&sp->fetching, item);
    w->url = item;
    int r = tn_http_client_fetch(sp->client, &(tn_fetch_desc){.url = item, .on_response = on_page, .user_data = w});
    if (r != 0) {
        printf("Exception: %s %s\n", tn_strerror(r), (char *)item);
        sp->dead++;
        tn_queue_task_done(sp->queue);
        worker_next(w);
    }
}

static void worker_next(worker *w) {
    if (!tn_queue_get(w->sp->queue, 0, on_item, w)) {
        fprintf(stderr, "webspider: out of memory\n");
        exit(3);
    }
}

static void on_joined(tn_loop *loop, int status, void *arg) {
    spider *sp = arg;
    (void)loop;
    if (status == TN_ETIMEDOUT) {
        printf("Timed out after %.0f seconds: fetched %d URLs.\n", tn_time_monotonic() - sp->start, sp->fetched);
        sp->result = 1;
        tn_loop_stop(sp->loop);
        return;
    }
    printf("Done in %d seconds, fetched %d URLs.\n", (int)(tn_time_monotonic() - sp->start), sp->fetched);
    printf("Unable to fetch %d URLs.\n", sp->dead);
    for (int i = sp->workers_left; i > 0; i--) tn_queue_put_nowait(sp->queue, END_OF_WORK);
}

int main(int argc, char **argv) {
    spider sp = {.base_url = "http://www.tornadoweb.org/en/stable/"};
    int concurrency = 10;
    double timeout = 300;
    tn_options *opts = tn_options_new(&(tn_options_desc){
        .args = "[BASE_URL]",
        .options = (tn_option_desc[]){
            {.name = "concurrency", .type = TN_OPTION_INT, .value = &concurrency, .min = 1, .max = 10000,
             .help = "pages fetched at once"},
            {.name = "timeout", .type = TN_OPTION_DURATION, .value = &timeout, .min = 0.001, .max = 1e9,
             .help = "give up after this long"},
            {0},
        }});
    if (!opts) return 1;
    // Failures are printed as Tornado's demo does: the log shows errors
    // only, unless --logging asks for more.
    char *quiet[] = {argv[0], (char *)"--logging=error"};
    tn_options_parse_command_line(opts, 2, quiet);
    int first = tn_options_parse_command_line(opts, argc, argv);  // exits 2 on a bad flag
    if (argc - first > 1) {
        fprintf(stderr, "webspider: one BASE_URL at most (see --help)\n");
        return 2;
    }
    if (first < argc) sp.base_url = argv[first];
    setvbuf(stdout, NULL, _IOLBF, 0);
    sp.loop = tn_loop_new(NULL);
    sp.client = tn_http_client_new(sp.loop, &(tn_http_client_desc){.max_clients = concurrency});
    sp.queue = tn_queue_new(sp.loop, 0);
    sp.start = tn_time_monotonic();
    tn_queue_put_nowait(sp.queue, strdup(sp.base_url));
    worker *workers = calloc((size_t)concurrency, sizeof *workers);
    sp.workers_left = concurrency;
    for (int i = 0; i < concurrency; i++) {
        workers[i].sp = &sp;
        worker_next(&workers[i]);
    }
    tn_queue_join(sp.queue, timeout, on_joined, &sp);
    tn_loop_stop_on_signals(sp.loop);
    tn_loop_start(sp.loop);
    // fetching == fetched | dead, as the demo asserts
    if (sp.result == 0 && sp.fetching.count != (size_t)(sp.fetched + sp.dead)) {
        fprintf(stderr, "webspider: %zu URLs fetching, %d fetched + %d dead\n", sp.fetching.count, sp.fetched, sp.dead);
        sp.result = 1;
    }
    tn_http_client_free(sp.client);  // after a timeout: fetches in flight end (cancelled)
    tn_queue_free(sp.queue);         // and workers waiting on the queue
    tn_loop_free(sp.loop);
    set_free(&sp.fetching);
    free(workers);
    tn_options_free(opts);
    return sp.result;
}
