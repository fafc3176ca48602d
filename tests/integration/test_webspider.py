"""examples/webspider.c (Tornado's demos/webspider) crawling a local site
served by our static file server (build/static_files) and by nginx: every
page under the base URL is fetched once, links are resolved against where
a redirect landed, fragments dropped, entities decoded, links in comments
and outside the base ignored, a dead link counted."""
import os
import re
import subprocess
import tempfile

from harness import ROOT, Server, check, done
from peers import Nginx

site = tempfile.mkdtemp(prefix="tn_spider_it_")
PAGES = {
    "index.html": '<a href="docs/">docs</a> <a href="/about.html">about</a> <a href="#top">top</a>'
                  '<a href="http://127.0.0.1:1/outside.html">out</a> <a href="mailto:x@y">mail</a>',
    "about.html": "<a href='index.html'>home</a> <A HREF=docs/a.html#frag>a</A>",
    "hidden.html": "only linked from a comment",
    "docs/index.html": '<a href="a.html">a</a><a href="b.html?x=1&amp;y=2">b</a><a href="../about.html">up</a>'
                       '<a href="sub">sub</a><a href="missing.html">gone</a><!-- <a href="/hidden.html"> -->'
                       '<script>var s = "<a href=\'/hidden.html\'>";</script>',
    "docs/a.html": '<a href="/docs/b.html?x=1&amp;y=2">b</a>',
    "docs/b.html": "plain text",
    "docs/sub/index.html": '<a href="../a.html">a</a>',
}
for rel, text in PAGES.items():
    os.makedirs(os.path.dirname(os.path.join(site, rel)), exist_ok=True)
    with open(os.path.join(site, rel), "w") as f:
        f.write(text)
FETCHED = ["/", "/docs/", "/about.html", "/index.html", "/docs/a.html", "/docs/b.html?x=1&y=2", "/docs/sub"]
DEAD = ["/docs/missing.html"]


def crawl(base):
    p = subprocess.run([os.path.join(ROOT, "build", "webspider"), "--concurrency=3", base], capture_output=True,
                       timeout=120)
    out = p.stdout.decode()
    assert p.returncode == 0, (p.returncode, out, p.stderr)
    fetching = re.findall(r"^fetching (\S+)$", out, re.M)
    fetched = re.findall(r"^fetched (\S+)$", out, re.M)
    dead = re.findall(r"^Exception: HTTP 404: Not Found (\S+)$", out, re.M)
    rel = lambda urls: sorted(u[len(base) - 1:] for u in urls)
    assert len(fetching) == len(set(fetching)), out  # each page once
    assert rel(fetched) == sorted(FETCHED), out
    assert rel(dead) == DEAD, out
    assert sorted(fetching) == sorted(fetched + dead), out
    assert re.search(r"^Done in \d+ seconds, fetched 7 URLs\.$", out, re.M), out
    assert "Unable to fetch 1 URLs.\n" in out, out


ours = Server("static_files", "--root=" + site, "--quiet")
nginx = Nginx(site)
check("webspider: crawls a site served by our static file server", lambda: crawl("http://127.0.0.1:%d/" % ours.port))
check("webspider: crawls the same site served by nginx", lambda: crawl(nginx.url("/")))

ours.stop()
nginx.stop()
done()
