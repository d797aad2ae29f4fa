"""Read an XML part one record at a time, so memory holds one record however big the part is."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from lxml import etree

from frontdesk.errors import SourceFailed

# A tiny element costs a parser about forty times its markup, so this bounds one record's
# tree to some 80 MB; real paragraphs, table rows and spreadsheet rows are kilobytes.
MAX_RECORD_BYTES = 2 * 1024 * 1024


class XmlStream:
    """Yields each finished element with one of ``tags``; ``release`` frees it and all before it.

    A parser builds a tree of everything it reads. Releasing each record once used keeps only
    the open ancestors and the record at hand; a part that runs on for more than
    MAX_RECORD_BYTES without a record released is refused, since its tree would only grow.
    Entities are never expanded and nothing is fetched from the network.
    """

    def __init__(
        self,
        chunks: Iterable[bytes],
        tags: Sequence[str],
        *,
        record: str,
    ) -> None:
        self._chunks = chunks
        self._record = record
        self._parser = etree.XMLPullParser(
            events=("end",),
            tag=list(tags),
            resolve_entities=False,
            no_network=True,
            remove_comments=True,
            remove_pis=True,
        )
        self._unreleased = 0
        self.root: etree._Element | None = None  # set once the whole part has been read

    def __iter__(self) -> Iterator[etree._Element]:
        for chunk in self._chunks:
            self._parser.feed(chunk)
            self._unreleased += len(chunk)
            for _, element in self._parser.read_events():
                yield element
            if self._unreleased > MAX_RECORD_BYTES:
                raise SourceFailed(
                    f"A single {self._record} in this file is larger than "
                    f"{MAX_RECORD_BYTES // (1024 * 1024)} MB of markup, too large to read "
                    "safely; simplify or split the document."
                )
        self.root = self._parser.close()
        for _, element in self._parser.read_events():
            yield element

    def release(self, element: etree._Element) -> None:
        """Free a record once it has been read, with all its parent held before it."""
        element.clear(keep_tail=False)
        parent = element.getparent()
        if parent is not None:
            while element.getprevious() is not None:
                del parent[0]
        self._unreleased = 0
