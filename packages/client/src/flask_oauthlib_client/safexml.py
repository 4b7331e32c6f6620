"""ElementTree for XML from remote servers, refusing document type declarations.

A DTD is what XML attacks need: entities that expand without bound ("billion laughs")
and external entities that read local files or URLs (XXE). No OAuth or API answer
needs one, so a body with a DTD is refused with :class:`UnsafeXMLError` (a
``ValueError``). The parsing functions use defusedxml when it is installed; otherwise
expat reads the body once with handlers that refuse any declaration before
ElementTree builds the tree. :func:`~flask_oauthlib_client.get_etree` returns this
module; it offers the ElementTree names for building and reading trees and only safe
parsers (no ``iterparse`` or ``XMLParser``).

.. versionadded:: 1.1
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Iterable
from types import ModuleType
from typing import IO, Any
from xml.etree import ElementTree as _ElementTree  # noqa: S405 - only fed checked input
from xml.etree.ElementTree import (  # noqa: S405 - building and reading trees only
    Element,
    ElementTree,
    ParseError,
    QName,
    SubElement,
    dump,
    iselement,
    tostring,
    tostringlist,
)
from xml.parsers import expat

__all__ = [
    "XML",
    "Element",
    "ElementTree",
    "ParseError",
    "QName",
    "SubElement",
    "UnsafeXMLError",
    "dump",
    "fromstring",
    "fromstringlist",
    "iselement",
    "parse",
    "tostring",
    "tostringlist",
]


class UnsafeXMLError(ValueError):
    """The XML has a document type declaration, which is refused."""


REFUSED = (
    "XML with a document type declaration is refused: it can declare entities that"
    " expand without bound or read local files"
)


@functools.cache
def _defusedxml() -> tuple[ModuleType, type[Exception]] | None:
    """Return ``defusedxml.ElementTree`` and its base exception, if installed."""
    try:
        package = importlib.import_module("defusedxml")
        return importlib.import_module("defusedxml.ElementTree"), package.DefusedXmlException
    except ImportError:
        return None


def _refuse_declarations(text: str | bytes) -> None:
    """Read ``text`` with expat; raise :class:`UnsafeXMLError` at any DTD or entity.

    A malformed document passes: ElementTree reports it as a ``ParseError`` next.
    """

    def refuse(*args: Any) -> Any:
        raise UnsafeXMLError(REFUSED)

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    try:
        parser.Parse(text, True)
    except expat.ExpatError:
        pass


def fromstring(text: str | bytes) -> Element:
    """Parse an XML document and return its root element.

    :raises UnsafeXMLError: if the document has a document type declaration.
    :raises ParseError: if it is not well-formed or declares an encoding that names no
        text encoding (``encoding="bogus"``).
    """
    try:
        return _fromstring(text)
    except LookupError as exc:  # expat asks the codecs for the declared encoding
        raise ParseError(f"unreadable XML encoding ({exc})") from None


def _fromstring(text: str | bytes) -> Element:
    defused = _defusedxml()
    if defused is not None:
        module, error = defused
        try:
            root: Element = module.fromstring(text, forbid_dtd=True)
        except error as exc:
            raise UnsafeXMLError(REFUSED) from exc
        return root
    _refuse_declarations(text)
    return _ElementTree.fromstring(text)  # noqa: S314 - declarations refused above


#: the ElementTree alias of :func:`fromstring`
XML = fromstring


def fromstringlist(sequence: Iterable[str | bytes]) -> Element:
    """Parse an XML document given in pieces; see :func:`fromstring`."""
    pieces = list(sequence)
    if all(isinstance(piece, str) for piece in pieces):
        return fromstring("".join(str(piece) for piece in pieces))
    return fromstring(b"".join(p.encode() if isinstance(p, str) else p for p in pieces))


def parse(source: str | os.PathLike[str] | IO[bytes]) -> ElementTree:
    """Parse an XML file (a path or a binary file object) into an ``ElementTree``."""
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as file:
            data = file.read()
    else:
        data = source.read()
    return ElementTree(fromstring(data))
