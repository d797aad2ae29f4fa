"""Office files (DOCX, XLSX) are zip packages: refuse bombs from the directory, read in steps.

The zip directory declares each part's unpacked size; ``open_package`` refuses a package whose
parts add up to more than the limit before anything is inflated. Reading a part in steps
(``stream_part``) can never yield more than that declared size: zipfile inflates at most one
step at a time and cuts the part off at its declared length. ``ZipFile.read`` is not safe the
same way (it inflates a whole part in one call before cutting), so nothing here uses it.
"""

from __future__ import annotations

import io
import posixpath
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from frontdesk.errors import SourceFailed
from frontdesk.knowledge.limits import Limits
from frontdesk.knowledge.loaders._xml import XmlStream

STEP = 64 * 1024
_END_OF_DIRECTORY = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_END = b"PK\x06\x06"
_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})  # all Office ever writes
_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str  # the relationship type URI; match it by its last path segment
    target: str  # the part name inside the package, resolved and without a leading "/"


def open_package(data: bytes, label: str, limits: Limits) -> zipfile.ZipFile:
    """The package, once its directory promises no more parts and bytes than the limits.

    Raises SourceFailed over a limit and zipfile.BadZipFile for anything that is no sound zip.
    """
    declared = _declared_parts(data)
    # zipfile builds an object per directory entry, so count them before it does.
    if declared is not None and declared > limits.max_archive_parts:
        raise _too_many_parts(label, limits)
    package = zipfile.ZipFile(io.BytesIO(data))
    parts = package.infolist()
    if len(parts) > limits.max_archive_parts:
        raise _too_many_parts(label, limits)
    if sum(part.file_size for part in parts) > limits.max_unpacked_bytes:
        raise SourceFailed(
            f"This {label} file unpacks to more than {limits.max_unpacked_mb} MB, the most one "
            "document may (setting FRONTDESK_MAX_UNPACKED_MB); split it into smaller files."
        )
    for part in parts:
        if part.compress_type not in _METHODS or part.flag_bits & 0x1:
            raise zipfile.BadZipFile(f"part {part.filename!r} is encrypted or oddly compressed")
    return package


def stream_part(package: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    """A part's bytes in steps; never more in all than its declared size."""
    with package.open(name) as stream:
        while chunk := stream.read(STEP):
            yield chunk


def relationships(package: zipfile.ZipFile, part: str) -> list[Relationship]:
    """The internal relationships of a part ("" for the package itself); none if it has none."""
    folder, _, name = part.rpartition("/")
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels not in package.NameToInfo:
        return []
    found = []
    stream = XmlStream(stream_part(package, rels), [_RELATIONSHIP], record="relationship")
    for element in stream:
        kind, target = element.get("Type", ""), element.get("Target", "")
        if element.get("TargetMode") != "External" and kind and target:
            found.append(Relationship(element.get("Id", ""), kind, _resolve(folder, target)))
        stream.release(element)
    return found


def related(package: zipfile.ZipFile, part: str, kind: str) -> list[str]:
    """Targets of a part's relationships whose type ends with ``/kind``, in document order."""
    return [r.target for r in relationships(package, part) if r.type.endswith("/" + kind)]


def main_part(package: zipfile.ZipFile) -> str:
    """The package's main document (word/document.xml, xl/workbook.xml...)."""
    targets = related(package, "", "officeDocument")
    if not targets or targets[0] not in package.NameToInfo:
        raise zipfile.BadZipFile("the package names no main document")
    return targets[0]


def _resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return posixpath.normpath(target).lstrip("/")
    return posixpath.normpath(posixpath.join(folder, target)).lstrip("/")


def _declared_parts(data: bytes) -> int | None:
    """The part count the end-of-directory record declares; None if it cannot be found."""
    at = data.rfind(_END_OF_DIRECTORY, max(0, len(data) - 22 - 0xFFFF))
    if at < 0 or at + 22 > len(data):
        return None
    (count,) = struct.unpack_from("<H", data, at + 10)
    locator = at - 20
    if count == 0xFFFF and locator >= 0 and data[locator : locator + 4] == _ZIP64_LOCATOR:
        (offset,) = struct.unpack_from("<Q", data, locator + 8)
        if data[offset : offset + 4] == _ZIP64_END and offset + 40 <= len(data):
            (count,) = struct.unpack_from("<Q", data, offset + 32)
    return int(count)


def _too_many_parts(label: str, limits: Limits) -> SourceFailed:
    return SourceFailed(
        f"This {label} file has more than {limits.max_archive_parts:,} parts, the most one "
        "document may (setting FRONTDESK_MAX_ARCHIVE_PARTS)."
    )
