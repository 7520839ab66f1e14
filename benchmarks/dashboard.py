"""The asv dashboard, built from the kept history and served offline: ``python -m benchmarks.dashboard``.

``asv publish`` turns ``asv_results/`` into a static site (``.asv/html``), but asv's page loads jQuery,
Flot, Bootstrap and three small plugins from public CDNs, so opened on a machine without a network it
shows nothing but asv's error line. This command therefore also puts those scripts beside the page and
points the page at them:

* the files come from the npm packages of the exact versions asv's page names (``npm pack``, once;
  they are cached in ``.asv/vendor``) -- the npm registry is reachable from the project's machines,
  and nothing is fetched when the site is served;
* every ``https://`` script and style sheet of ``index.html`` is replaced by its local copy, and the
  build fails if one is left.

Commands::

    python -m benchmarks.dashboard                     # build .asv/html
    python -m benchmarks.dashboard --serve [--port N]  # build, then serve on http://127.0.0.1:N/
    python -m benchmarks.dashboard --screenshot docs/img/dashboard.png [--page '#/summarylist']
"""
from __future__ import annotations

import argparse
import base64
import functools
import hashlib
import http.server
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
from pathlib import Path

from .history import ROOT, _asv

# CDN address in asv's index.html -> (npm package@version, path inside the package tarball)
VENDORED = {
    "https://code.jquery.com/jquery-3.3.1.min.js": ("jquery@3.3.1", "package/dist/jquery.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.min.js": ("flot@0.8.3", "package/jquery.flot.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.time.min.js":
        ("flot@0.8.3", "package/jquery.flot.time.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.selection.min.js":
        ("flot@0.8.3", "package/jquery.flot.selection.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/flot/0.8.3/jquery.flot.categories.min.js":
        ("flot@0.8.3", "package/jquery.flot.categories.js"),
    "https://cdn.jsdelivr.net/npm/flot-orderbars@1.0.0/js/jquery.flot.orderBars.js":
        ("flot-orderbars@1.0.0", "package/js/jquery.flot.orderBars.js"),
    # stupidtable 1.0.1 is on cdnjs only; the npm package carries 1.1.3 of the same plugin
    "https://cdnjs.cloudflare.com/ajax/libs/stupidtable/1.0.1/stupidtable.min.js":
        ("stupid-table-plugin@1.1.3", "package/stupidtable.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/blueimp-md5/2.19.0/js/md5.min.js":
        ("blueimp-md5@2.19.0", "package/js/md5.min.js"),
    "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/js/bootstrap.min.js":
        ("bootstrap@3.1.1", "package/dist/js/bootstrap.min.js"),
    "https://cdn.jsdelivr.net/npm/bootstrap@3.1.1/dist/css/bootstrap.min.css":
        ("bootstrap@3.1.1", "package/dist/css/bootstrap.min.css"),
}


def _conf() -> dict:
    return json.loads((ROOT / "asv.conf.json").read_text())


def html_dir() -> Path:
    return ROOT / _conf()["html_dir"]


def vendor_dir() -> Path:
    return ROOT / ".asv" / "vendor"


def _local_name(url: str) -> str:
    pkg, member = VENDORED[url]
    return f"{pkg.split('@')[0]}-{Path(member).name}"


def fetch_vendor(cache: Path | None = None) -> Path:
    """Fill ``cache`` (default ``.asv/vendor``) with the page's scripts, fetching missing ones by ``npm pack``."""
    cache = cache or vendor_dir()
    cache.mkdir(parents=True, exist_ok=True)
    missing = {}
    for url, (pkg, member) in VENDORED.items():
        if not (cache / _local_name(url)).exists():
            missing.setdefault(pkg, []).append((member, _local_name(url)))
    if not missing:
        return cache
    if shutil.which("npm") is None:
        raise RuntimeError(f"the dashboard's scripts are not cached in {cache} and npm is not installed to fetch "
                           f"them: {', '.join(missing)} (apt-get install npm, or copy the files there)")
    with tempfile.TemporaryDirectory() as tmp:
        for pkg, members in missing.items():
            out = subprocess.run(["npm", "pack", "--silent", pkg], cwd=tmp, capture_output=True, text=True)
            if out.returncode != 0:
                raise RuntimeError(f"npm pack {pkg} failed: {out.stderr.strip()[-400:]}")
            tgz = Path(tmp) / out.stdout.strip().splitlines()[-1]
            with tarfile.open(tgz) as tf:
                for member, name in members:
                    f = tf.extractfile(member)
                    if f is None:
                        raise RuntimeError(f"{pkg} has no {member}")
                    (cache / name).write_bytes(f.read())
    return cache


def localise(site: Path, cache: Path) -> list[str]:
    """Copy the cached scripts into ``site/vendor`` and point ``site/index.html`` at them.

    Returns the external addresses of scripts or style sheets still left (empty on success)."""
    index = site / "index.html"
    text = index.read_text()
    (site / "vendor").mkdir(exist_ok=True)
    for url in VENDORED:
        if url in text:
            local = site / "vendor" / _local_name(url)
            shutil.copy2(cache / _local_name(url), local)
            digest = base64.b64encode(hashlib.sha384(local.read_bytes()).digest()).decode()
            # the tag's subresource-integrity hash is the CDN file's (npm ships some unminified):
            # the browser would refuse the local copy, so the tag gets the copy's own hash
            text = re.sub(r'(<(?:script|link)[^>]*?)' + re.escape(url) + r'([^>]*>)',
                          lambda m: re.sub(r'integrity="[^"]*"', f'integrity="sha384-{digest}"',
                                           m.group(1) + f"vendor/{_local_name(url)}" + m.group(2)), text)
    index.write_text(text)
    return re.findall(r'<(?:script|link)[^>]*(?:src|href)="(https?://[^"]+)"', text)


def build(out=print) -> Path:
    """``asv publish`` from the kept results, then make the site self-contained; returns the site folder."""
    if _asv("publish") != 0:
        raise RuntimeError("asv publish failed")
    site = html_dir()
    left = localise(site, fetch_vendor())
    if left:
        raise RuntimeError(f"the dashboard still loads from the network: {', '.join(left)}")
    index = json.loads((site / "index.json").read_text())
    out(f"dashboard: {site} ({len(index['benchmarks'])} benchmarks, {len(index['revision_to_hash'])} commits)")
    return site


def serve(site: Path, port: int = 0) -> http.server.ThreadingHTTPServer:
    """A local HTTP server for ``site`` on 127.0.0.1 (port 0: any free port), running in a thread."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    raise RuntimeError("no Chromium found for --screenshot (apt-get install chromium)")


def screenshot(site: Path, png: Path, page: str = "", size=(1400, 1000), wait_ms: int = 8000) -> Path:
    """Serve ``site`` locally and take a headless-Chromium screenshot of ``index.html{page}``."""
    httpd = serve(site)
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/index.html{page}"
        png = Path(png).resolve()
        png.parent.mkdir(parents=True, exist_ok=True)
        cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
               f"--window-size={size[0]},{size[1]}", f"--virtual-time-budget={wait_ms}",
               f"--screenshot={png}", url]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if res.returncode != 0 or not png.exists():
            raise RuntimeError(f"chromium failed: {res.stderr.strip()[-400:]}")
        return png
    finally:
        httpd.shutdown()


def cli(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.dashboard",
                                 description="Build the asv dashboard from asv_results/ so that it works offline; "
                                             "optionally serve it or screenshot it.")
    ap.add_argument("--serve", action="store_true", help="serve the site on 127.0.0.1 until interrupted")
    ap.add_argument("--port", type=int, default=8080, help="port for --serve (default: %(default)s)")
    ap.add_argument("--screenshot", type=Path, help="write a headless-Chromium PNG of the page")
    ap.add_argument("--page", default="", help="page fragment for --screenshot, e.g. '#/summarylist' or "
                                               "'#bench_gate.GateRatios.track_ratio'")
    args = ap.parse_args(argv)
    site = build()
    if args.screenshot:
        print(f"screenshot: {screenshot(site, args.screenshot, args.page)}")
    if args.serve:
        httpd = serve(site, args.port)
        print(f"serving {site} on http://127.0.0.1:{httpd.server_address[1]}/ (Ctrl-C stops)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            httpd.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(cli())
