"""What the exposure macros tell the operator once, after handing work on: a catalog
that does not answer (its rows wait in the spool and arrive later), reductions
that failed, numbers passed over because their files existed."""

from __future__ import annotations

from sardana_nxsas.acquisition.settings import Settings
from sardana_nxsas.catalog.spool import catalog_news
from sardana_nxsas.dataroot.fsn import Allocation
from sardana_nxsas.reducer import reduction_news


def operator_news(settings: Settings, allocation: Allocation | None = None) -> list[str]:
    """The warnings to show now; each problem is told once (per outage, per failure).
    ``allocation``: the FSN an exposure was just given."""
    lines = []
    news = catalog_news(settings.root, settings.catalog_url)
    if news:
        lines.append(f"catalog unreachable, rows are kept and sent when it is back: {news}")
    lines.extend(reduction_news(settings.root))
    if allocation is not None and allocation.skipped:
        skipped = ", ".join(map(str, allocation.skipped))
        lines.append(
            f"files already existed at FSN {skipped} of {allocation.prefix}: using {allocation.fsn}"
        )
    return lines
