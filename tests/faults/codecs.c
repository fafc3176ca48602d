// Fault scenarios for the data layers, no I/O: JSON, the DEFLATE codec,
// multipart, templates, URL/form arguments.
#include "faults.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char json_text[] =
    "{\"name\":\"tornado \\u00e9\",\"list\":[1,2.5,true,null,{\"k\":\"v\"},[]],\"empty\":{},"
    "\"s\":\"a\\nb\\\"c\",\"deep\":[[[[{\"x\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}]]]]}";
static const char json_canonical[] =
    "{\"name\":\"tornado \xc3\xa9\",\"list\":[1,2.5,true,null,{\"k\":\"v\"},[]],\"empty\":{},"
    "\"s\":\"a\\nb\\\"c\",\"deep\":[[[[{\"x\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}]]]]}";

// Parses a document and writes it back.
TF_SCENARIO(json) {
    tn_json_doc doc;
    TF_TRY(tn_json_parse(&doc, json_text, sizeof json_text - 1, NULL));
    tn_buf out = {0};
    tn_json_writer w;
    tn_json_writer_init(&w, &out);
    int r = tn_json_write_value(&w, doc.root);
    int f = tn_json_writer_finish(&w);
    tn_json_doc_free(&doc);
    if (r == 0) r = f;
    if (r == 0) TF_CHECK(out.len == sizeof json_canonical - 1 && !memcmp(out.data, json_canonical, out.len));
    else if (r == TN_ENOMEM) TF_CHECK(out.len == 0 && TF_ERR("json write"));
    else tf_wrong(__FILE__, __LINE__, "json write: %s", tn_err_name(r));
    tn_buf_free(&out);
}

// 40 KB of text that compresses (a window's worth and more).
static tn_buf sample_text(void) {
    tn_buf b = {0};
    for (int i = 0; i < 1000; i++) {
        char line[64];
        int n = snprintf(line, sizeof line, "line %d of the sample, %x\n", i, (unsigned)(i * 2654435761u));
        if (tn_buf_append(&b, line, (size_t)n) < 0) break;
    }
    return b;
}

// The one-call codec both ways, and the streaming objects.
TF_SCENARIO(deflate) {
    tn_buf text = sample_text();
    if (text.len < 20000) {  // the sample itself met a failure
        TF_ERR("sample");
        tn_buf_free(&text);
        return;
    }
    tn_deflate_desc dd = {.format = TN_DEFLATE_GZIP};
    tn_buf z = {0}, back = {0};
    int r = tn_deflate_buf(&z, text.data, text.len, &dd);
    if (r == 0) r = tn_inflate_buf(&back, z.data, z.len, 1u << 20, &(tn_inflate_desc){.format = TN_DEFLATE_GZIP});
    if (r == 0) TF_CHECK(back.len == text.len && !memcmp(back.data, text.data, text.len));
    else if (r == TN_ENOMEM) TF_ERR("deflate/inflate buf");
    else tf_wrong(__FILE__, __LINE__, "codec: %s", tn_err_name(r));
    tn_deflate *d = tn_deflate_new(NULL);
    tn_inflate *i = tn_inflate_new(NULL);
    if (!d || !i) TF_ERR("codec new");
    tn_deflate_free(d);
    tn_inflate_free(i);
    tn_buf_free(&z);
    tn_buf_free(&back);
    tn_buf_free(&text);
}

static const char mp_body[] =
    "--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n"
    "--XyZ\r\nContent-Disposition: form-data; name=\"tag\"\r\n\r\none\r\n"
    "--XyZ\r\nContent-Disposition: form-data; name=\"tag\"\r\n\r\ntwo\r\n"
    "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
    "Content-Type: text/plain\r\n\r\nfile body\r\n--XyZ--\r\n";

// Parses a form with a file and turns its fields into arguments.
TF_SCENARIO(multipart) {
    tn_multipart mp;
    tn_str ct = tn_str_c("multipart/form-data; boundary=XyZ");
    int r = tn_multipart_parse(&mp, ct, mp_body, sizeof mp_body - 1, NULL);
    if (r == 0) TF_CHECK(mp.count == 4);
    else if (r == TN_ENOMEM) TF_ERR("multipart parse");
    else tf_wrong(__FILE__, __LINE__, "multipart parse: %s", tn_err_name(r));
    tn_args args = {0};
    if (r == 0) r = tn_multipart_to_args(&mp, &args);
    else r = 1;  // reported above
    if (r == 0) {
        tn_str tags[4];
        TF_CHECK(tn_args_get_all(&args, "tag", tags, 4) == 2 && tn_str_eq(tags[1], "two"));
        TF_CHECK(tn_args_get(&args, "title") && tn_str_eq(*tn_args_get(&args, "title"), "hello"));
    } else if (r == TN_ENOMEM) {
        TF_ERR("multipart to args");
    } else if (r < 0) {
        tf_wrong(__FILE__, __LINE__, "to_args: %s", tn_err_name(r));
    }
    tn_args_free(&args);
    tn_multipart_free(&mp);
}

// A query string and a form body decoded into arguments.
TF_SCENARIO(args) {
    tn_args a = {0};
    static const char q[] = "a=1&b=%C3%A9t%C3%A9&a=2&empty=&plus=x+y&long=0123456789012345678901234567890123456789";
    int r = tn_args_parse(&a, q, sizeof q - 1, NULL);
    if (r == 0) {
        tn_str v[3];
        TF_CHECK(tn_args_get_all(&a, "a", v, 3) == 2 && tn_str_eq(v[1], "2"));
        TF_CHECK(tn_args_get(&a, "plus") && tn_str_eq(*tn_args_get(&a, "plus"), "x y"));
        TF_CHECK(tn_args_get(&a, "b") && tn_str_eq(*tn_args_get(&a, "b"), "\xc3\xa9t\xc3\xa9"));
    } else if (r == TN_ENOMEM) {
        TF_ERR("parse query");
    } else {
        tf_wrong(__FILE__, __LINE__, "parse query: %s", tn_err_name(r));
    }
    tn_args_free(&a);
}

static const char tpl_text[] =
    "<h1>{{ title }}</h1>{% if items %}<ul>{% for i in items %}<li>{{ i.name }}"
    "{% if i.big %} x{{ i.n }}{% end %}</li>{% end %}</ul>{% else %}none{% end %}"
    "{# a comment #}{% raw html %}";
static const char tpl_ctx[] =
    "{\"title\":\"a<b\",\"html\":\"<i>ok</i>\",\"items\":[{\"name\":\"x&y\",\"n\":2,\"big\":true},{\"name\":\"z\",\"n\":1}]}";
static const char tpl_out[] = "<h1>a&lt;b</h1><ul><li>x&amp;y x2</li><li>z</li></ul><i>ok</i>";

// Parses a template and renders it with a JSON context.
TF_SCENARIO(template) {
    tn_template *t = NULL;
    tn_json_doc doc;
    TF_TRY(tn_template_parse("page.html", tpl_text, sizeof tpl_text - 1, &t, NULL));
    int r = tn_json_parse(&doc, tpl_ctx, sizeof tpl_ctx - 1, NULL);
    if (r < 0) {
        TF_CHECK(r == TN_ENOMEM);
        TF_ERR("json parse");
        tn_template_free(t);
        return;
    }
    tn_buf out = {0};
    r = tn_template_render(t, doc.root, NULL, &out, NULL);
    if (r == 0) TF_CHECK(out.len == sizeof tpl_out - 1 && !memcmp(out.data, tpl_out, out.len));
    else if (r == TN_ENOMEM) TF_CHECK(out.len == 0 && TF_ERR("render"));
    else tf_wrong(__FILE__, __LINE__, "render: %s", tn_err_name(r));
    tn_buf_free(&out);
    tn_json_doc_free(&doc);
    tn_template_free(t);
}
