"""``strbench report``: a self-contained static site (no network, works from ``file://``): one
leaderboard per protocol, a speed table, a speed-accuracy plot per device and a page per record."""

from strbench.report.site.build import build_site

__all__ = ["build_site"]
