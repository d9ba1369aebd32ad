"""Benchmark of the URL policy: latency of one ``UrlPolicy.evaluate`` call (kiosk.md K16).

The policy has 200 rules: 140 simplified (literal hosts with subdomains, exact hosts, host globs, paths, ports,
schemes, queries, user info) and 60 regex rules (54 anchored on scheme and host, 6 unanchored keyword searches),
blocks and allows interleaved, default block, two implicit allows (the exam origin).

The URL mix is a browsing session in the free-challenge pane: page loads, each a main-frame URL followed by 10 to 30
sub-resources; most sub-resources are the site's static assets (repeated from page to page, as scripts, styles,
fonts and images are), the rest are API calls with fresh query strings (never seen before), third-party CDN,
advertising and tracker URLs, search result pages with long queries, and now and then the odd URL (percent-encoded
paths, IDN and IP-literal hosts, ``data:``/``blob:`` and WebSocket URLs, the kiosk's own pages).

What is measured (each call timed with ``time.perf_counter_ns``, p50/p99 in µs)
--------------------------------------------------------------------------------
session    The session on the policy as shipped (verdict cache of 4096 URLs, per-host caches): what the interceptor
           on Chromium's IO thread pays.
uncached   The same session with the verdict cache off (``cache_size=0``): every call normalises the URL and runs
           the rules; only the per-host caches help. The cost of a URL never seen before on a known host.
cold       One call per distinct URL on a freshly built policy (all caches empty): the first request to a host.
build      Time to compile the 200 rules (at load, once per exam session).

Target: p99 well under 50 µs.

Usage
-----
::

    python bench/lockdown.py           # readable table on stdout
    python bench/lockdown.py --quick   # a shorter session
    python bench/lockdown.py --json    # one JSON object on stdout (progress goes to stderr)
    python bench/lockdown.py --seed 3  # another session
"""

from __future__ import annotations

import argparse
import logging
import platform
import random
import statistics
import sys
import time
from pathlib import Path

# ``python bench/lockdown.py`` puts bench/ first on sys.path: put the repository root there instead, so that
# ``lockdown`` is the package, not this file.
_ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0] or ".").resolve() == _ROOT / "bench":
    sys.path[0] = str(_ROOT)

from bench._harness import run_benchmark  # noqa: E402
from lockdown.policy import UrlPolicy, UrlRule  # noqa: E402

log = logging.getLogger("bench.lockdown")

_WORDS = ["wiki", "news", "shop", "maths", "docs", "video", "forum", "cloud", "learn", "games", "chat", "map"]
_TLDS = ["org", "com", "fr", "net", "edu", "io"]


def build_rules(rng: random.Random, regex_count: int = 60) -> list[UrlRule]:
    """200 rules, ``regex_count`` of them regex, mixed actions, in a realistic order (blocks and allows interleaved)."""
    rules: list[UrlRule] = []

    def add(action: str, kind: str, pattern: str) -> None:
        rules.append(UrlRule(f"r{len(rules)}", action, kind, pattern))

    for i in range(140 - regex_count):  # literal hosts: the bulk of real SEB lists
        word, tld = _WORDS[i % len(_WORDS)], _TLDS[i % len(_TLDS)]
        add("block" if i % 4 == 0 else "allow", "simplified", f"{word}{i}.{tld}")
    for i in range(15):
        add("allow", "simplified", f".www.site{i}.fr")
        add("block", "simplified", f"site{i}.fr/private/*")
    for i in range(10):
        add("allow", "simplified", f"https://*.cdn{i}.net/static/*")
        add("block", "simplified", f"*.ads{i}.com")
    add("allow", "simplified", "intranet")
    add("allow", "simplified", "wss://chat.exam.example:8443")
    add("block", "simplified", "*?*token=*")
    add("allow", "simplified", "search.example.org/results?q=*")
    add("block", "simplified", "user@*")
    add("allow", "simplified", "http://*.lycee-*.fr")
    add("block", "simplified", "*#print")
    add("allow", "simplified", "docs.example.org/manual/*/index.html")
    add("block", "simplified", "data://*")
    add("allow", "simplified", "fr.wikipedia.org/wiki/*")
    for i in range(regex_count):
        word, tld = _WORDS[i % len(_WORDS)], _TLDS[(i + 1) % len(_TLDS)]
        if i % 10 == 9:
            add("block", "regex", f"(cheat|answers|solution){i}")
        elif i % 3 == 0:
            add("block", "regex", rf"^https?://([a-z0-9-]+\.)*{word}{i}r\.{tld}/")
        else:
            add("allow", "regex", rf"^https://([a-z0-9-]+\.)*{word}{i}r\.{tld}(:\d+)?/(api|static)/")
    rng.shuffle(rules)
    return rules


def _special_urls() -> list[str]:
    return [
        "https://exam.example/session/42/question/7",
        "kiosk://blocked",
        "about:blank",
        "data:image/png;base64," + "iVBORw0KGgo" * 40,
        "blob:https://exam.example/6f1c2d9e-1b7a-4c1e-9d3b-2a8f0e4c5b6d",
        "wss://chat.exam.example:8443/socket",
        "http://2130706433/",
        "http://[::1]:8080/",
        "https://xn--llowed-2nf.org/",
        "https://bücher.example/katalog",
        "https://user@evil.example/",
        "http://intranet/",
        "https://docs.example.org/manual/ch1/index.html",
        "https://www.site3.fr/private/x?token=abc",
        "https://site1.fr/private/page%2012.html",
    ]


def build_session(rng: random.Random, calls: int) -> list[str]:
    """A browsing session of about ``calls`` requests (see the module docstring)."""
    hosts = [f"{_WORDS[i % len(_WORDS)]}{i}.{_TLDS[i % len(_TLDS)]}" for i in range(0, 80, 3)]
    hosts += [f"www.site{i}.fr" for i in range(15)] + [f"img.cdn{i}.net" for i in range(10)]
    hosts += [f"www.{_WORDS[i % len(_WORDS)]}{i}r.{_TLDS[(i + 1) % len(_TLDS)]}" for i in range(0, 60, 4)]
    hosts += ["fr.wikipedia.org", "search.example.org", "unknown-site.net"]
    assets = {
        host: [
            f"https://{host}/static/{kind}/{rng.randrange(16**8):08x}.{kind}"
            for kind in ("js", "css", "png", "woff2")
            for _ in range(4)
        ]
        for host in hosts
    }
    third_party = [f"https://img.cdn{i}.net/static/lib-{i}.js" for i in range(10)]
    third_party += [f"https://tracker.ads{i}.com/pixel?id={i}" for i in range(10)]
    special = _special_urls()
    urls: list[str] = []
    while len(urls) < calls:
        host = rng.choice(hosts)
        if host == "search.example.org":
            urls.append(f"https://{host}/results?q={'+'.join(rng.choices(_WORDS, k=8))}&lang=fr")
        else:
            urls.append(f"https://{host}/wiki/Article_{rng.randrange(500)}#section-{rng.randrange(9)}")
        for _ in range(rng.randrange(10, 31)):
            draw = rng.random()
            if draw < 0.70:
                urls.append(rng.choice(assets[host]))
            elif draw < 0.88:
                urls.append(f"https://{host}/api/v1/items?page={rng.randrange(10**6)}&sort=asc")
            elif draw < 0.98:
                urls.append(rng.choice(third_party))
            else:
                urls.append(rng.choice(special))
    return urls[:calls]


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1]


def _time_calls(policy: UrlPolicy, urls: list[str]) -> list[float]:
    evaluate, clock = policy.evaluate, time.perf_counter_ns
    out = []
    for url in urls:
        start = clock()
        evaluate(url)
        out.append((clock() - start) / 1000)
    return out


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_us": round(_percentile(values, 0.50), 2),
        "p99_us": round(_percentile(values, 0.99), 2),
        "max_us": round(max(values), 1),
    }


def _measure_mix(rules: list[UrlRule], session: list[str], warmup: list[str], quick: bool) -> dict:
    implicit = ["https://exam.example/", "https://exam.example:8443/"]
    start = time.perf_counter()
    policy = UrlPolicy(rules, default="block", implicit_allow=implicit)
    build_ms = (time.perf_counter() - start) * 1000
    _time_calls(policy, warmup)
    shipped = _time_calls(policy, session)
    uncached_policy = UrlPolicy(rules, default="block", implicit_allow=implicit, cache_size=0)
    _time_calls(uncached_policy, warmup)
    uncached = _time_calls(uncached_policy, session)
    distinct = sorted(set(session))
    cold: list[float] = []
    for url in distinct[:: max(1, len(distinct) // (200 if quick else 1000))]:
        fresh = UrlPolicy(rules, default="block", implicit_allow=implicit)
        cold.extend(_time_calls(fresh, [url]))
    return {
        "rules": len(rules),
        "simplified_rules": sum(rule.kind == "simplified" for rule in rules),
        "regex_rules": sum(rule.kind == "regex" for rule in rules),
        "allowed_share": round(sum(policy.evaluate(url).allowed for url in session) / len(session), 3),
        "build_ms": round(build_ms, 2),
        "session": _summary(shipped),
        "uncached": _summary(uncached),
        "cold": _summary(cold),
    }


def run(args: argparse.Namespace) -> dict:
    """Measure build time, then the session, uncached and cold latencies, for two rule mixes."""
    calls = 20_000 if args.quick else 200_000
    session = build_session(random.Random(args.seed), calls)
    warmup = build_session(random.Random(args.seed + 1), 2000)
    mixes = {}
    for regex_count in (60, 20):
        rules = build_rules(random.Random(args.seed), regex_count)
        mixes[f"{regex_count}_regex"] = _measure_mix(rules, session, warmup, args.quick)
        log.info("mix with %d regex rules done", regex_count)
    headline = mixes["60_regex"]
    return {
        "calls": calls,
        "distinct_urls": len(set(session)),
        "p50_us": headline["session"]["p50_us"],
        "p99_us": headline["session"]["p99_us"],
        "uncached_p99_us": headline["uncached"]["p99_us"],
        "mixes": mixes,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def format_table(result: dict) -> str:
    """The result as a small table."""
    lines = [
        f"UrlPolicy.evaluate over a browsing session: {result['calls']} calls, {result['distinct_urls']} distinct URLs",
        f"{'':44}{'p50 µs':>9}{'p99 µs':>9}{'max µs':>9}",
    ]
    for mix in result["mixes"].values():
        lines.append(
            f"{mix['rules']} rules ({mix['simplified_rules']} simplified, {mix['regex_rules']} regex), "
            f"built in {mix['build_ms']:.1f} ms, {mix['allowed_share']:.0%} of calls allowed"
        )
        for key, label in (
            ("session", "session (as shipped)"),
            ("uncached", "uncached (no verdict cache)"),
            ("cold", "cold (empty caches)"),
        ):
            row = mix[key]
            lines.append(f"  {label:42}{row['p50_us']:9.2f}{row['p99_us']:9.2f}{row['max_us']:9.1f}")
    lines.append("target: p99 well under 50 µs")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(run_benchmark(__doc__, run, format_table, None))
