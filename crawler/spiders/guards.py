"""Guards against the sites' silent wrong answers that concern whole pages."""

from __future__ import annotations

from collections.abc import Hashable, Iterable


class RepeatedPages:
    """Notices a page that has exactly the rows of another page of the same query, which is how
    a site that ignores the page number answers."""

    def __init__(self) -> None:
        self._pages: dict[Hashable, dict[frozenset[str], int]] = {}

    def earlier_page(self, query: Hashable, page: int, ids: Iterable[str]) -> int | None:
        """The other page of ``query`` with the same row ids as ``page``, or None."""
        key = frozenset(ids)
        if not key:
            return None
        earlier = self._pages.setdefault(query, {}).setdefault(key, page)
        return None if earlier == page else earlier
