#!/usr/bin/env python3
"""Groups a `perf report` of a cardline run by component, for docs/PERFORMANCE.md.

Usage:
  perf record -F 999 -o /tmp/cardline.perf ./target/release/bench-scale 200 1000
  perf report -i /tmp/cardline.perf --no-children --sort symbol --stdio \
      | python3 scripts/perf-breakdown.py
"""

import re
import sys

# First match wins: (component, symbol pattern).
COMPONENTS = [
    ("store (SQLite journal)",
     r"sqlite3|rusqlite|yy_|cardline_issuance::store|^(wal|pcache|pager|btree|resolveExpr|expr|"
     r"where|select|keywordCode|findElement|balance|vdbe)"),
    ("card face (render)",
     r"cardline_issuance::face|ab_glyph|ttf_parser|qrcode|barcoders|tiny_skia"),
    ("panels (YMC, K/O Dbc)", r"cardline_evolis::(panels|color_wire)|MonoPanel"),
    ("printer link + driver", r"cardline_evolis|cardline_link"),
    ("simulated printer", r"cardline_sim::printer"),
    ("crypto (card keys, CA, seal)",
     r"p256|p384|ecdsa|elliptic_curve|primeorder|crypto_bigint|rcgen|ring_core|ring::|sha2|"
     r"aes|des::|hkdf|hmac|cmac|x509|der::|spki|zeroize|rand|getrandom|ecp_nistz256|p256_"),
    ("APDUs + PIV + simulated chip", r"cardline_apdu|cardline_piv|cardline_sim::card|iso7816"),
    ("allocation + copies",
     r"malloc|free|memmove|memset|memcpy|memcmp|realloc|_int_|unlink_chunk|__rdl_"),
    ("locks", r"[Mm]utex|futex|syscall"),
]
# Every kernel-side sample (`[k]`), whatever its symbol.
KERNEL = "kernel (I/O, scheduling, page faults)"


def main() -> None:
    totals: dict[str, float] = {}
    for line in sys.stdin:
        m = re.match(r"\s+([0-9.]+)%\s+(\[[.k]\])\s+(.*)", line)
        if not m:
            continue
        share, kind, symbol = float(m.group(1)), m.group(2), m.group(3)
        if kind == "[k]":
            name = KERNEL
        else:
            name = next((c for c, pat in COMPONENTS if re.search(pat, symbol)), "other")
        totals[name] = totals.get(name, 0.0) + share
    for name, share in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"{share:6.1f} %  {name}")


if __name__ == "__main__":
    main()
