"""Post-save pass over an .xlsx: cached formula values, fixed metadata, byte-stable zip."""

from __future__ import annotations

import io
import math
import numbers
import posixpath
import re
import zipfile
from collections.abc import Collection, Mapping
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr, unescape

FIXED_TIMESTAMP = "2000-01-01T00:00:00Z"
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
# Regular file, rw-r--r--: the same on every machine, whatever the umask.
ZIP_FILE_ATTR = 0o100644 << 16
ZIP_CREATE_SYSTEM = 3  # unix; zipfile would pick 0 on Windows and change the bytes

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_WORKSHEET_REL = _NS_REL + "/worksheet"
_CUSTOM_REL = _NS_REL + "/custom-properties"
_CUSTOM_CT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
_CUSTOM_PART = "docProps/custom.xml"
_CUSTOM_FMTID = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
_NS_DC = "http://purl.org/dc/elements/1.1/"
_NS_DCTERMS = "http://purl.org/dc/terms/"
_NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"

# A formula cell as openpyxl writes it: <c r=.. [s=..]><f>text</f><v /></c>; the etree
# writer emits <v />, the lxml one <v></v> or <v/>, and a finalized file has <v>x</v>.
# Formula text never holds "<" (it is escaped), so [^<]* is exact and fast.
_FORMULA_CELL = re.compile(
    r"<c\b([^>]*)>(<f\b[^>]*>[^<]*</f>|<f\b[^>]*/>)(?:<v\s*/>|<v\s*>[^<]*</v>)?</c>"
)
_FORMULA_START = re.compile(r"<f\b")
_REF_ATTR = re.compile(r'\br="([A-Z]{1,3}[0-9]+)"')
_TYPE_ATTR = re.compile(r'\s+t="[^"]*"')
# XML 1.0 cannot carry these, and Excel refuses a file that does.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def finalize(
    xlsx: bytes,
    values: Mapping[str, Mapping[str, object]],
    *,
    title: str = "",
    custom: Mapping[str, str] | None = None,
    filled: Collection[str] = (),
) -> bytes:
    """Return `xlsx` with every formula's cached value written and all metadata fixed.

    `values` maps sheet title -> {"C5": value}. Every formula cell needs an entry
    (ValueError otherwise); entries for cells without a formula are ignored. Sheets named
    in `filled` already carry their cached values and are left as they are.
    """
    with zipfile.ZipFile(io.BytesIO(xlsx)) as source:
        entries = [(info.filename, source.read(info)) for info in source.infolist()]
    parts = dict(entries)

    sheets = _sheet_parts(parts["xl/workbook.xml"], parts["xl/_rels/workbook.xml.rels"])
    unknown = sorted(set(values) - set(sheets))
    if unknown:
        raise ValueError(f"values given for sheets not in the workbook: {unknown}")

    missing: list[str] = []
    for sheet_title, part in sheets.items():
        if sheet_title in filled:
            continue
        parts[part] = _fill_sheet(parts[part], values.get(sheet_title, {}), sheet_title, missing)
    if missing:
        shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
        raise ValueError(f"{len(missing)} formula cell(s) have no cached value: {shown}")

    parts["xl/workbook.xml"] = _full_calc_on_load(parts["xl/workbook.xml"])
    if "docProps/core.xml" in parts:
        parts["docProps/core.xml"] = _core_properties(parts["docProps/core.xml"], title)
    if custom:
        if _CUSTOM_PART not in parts:
            entries.append((_CUSTOM_PART, b""))
            parts["[Content_Types].xml"] = _add_custom_content_type(parts["[Content_Types].xml"])
            parts["_rels/.rels"] = _add_custom_rel(parts["_rels/.rels"])
        parts[_CUSTOM_PART] = _custom_properties(parts.get(_CUSTOM_PART, b""), custom)

    return _write_zip([(name, parts[name]) for name, _ in entries])


def _sheet_parts(workbook_xml: bytes, rels_xml: bytes) -> dict[str, str]:
    """Sheet title -> zip path of its worksheet part (chart sheets are left out)."""
    targets = {}
    for rel in ElementTree.fromstring(rels_xml).iter(f"{{{_NS_PKG_REL}}}Relationship"):
        if rel.get("Type") == _WORKSHEET_REL:
            target = rel.get("Target", "")
            # Targets are either absolute ("/xl/worksheets/sheet1.xml") or relative to xl/.
            path = target[1:] if target.startswith("/") else posixpath.join("xl", target)
            targets[rel.get("Id")] = posixpath.normpath(path)
    sheets = {}
    for sheet in ElementTree.fromstring(workbook_xml).iter(f"{{{_NS_MAIN}}}sheet"):
        rel_id = sheet.get(f"{{{_NS_REL}}}id")
        if rel_id in targets:
            sheets[sheet.get("name", "")] = targets[rel_id]
    return sheets


def _fill_sheet(
    xml: bytes, values: Mapping[str, object], sheet_title: str, missing: list[str]
) -> bytes:
    text = xml.decode("utf-8")
    matched = 0

    def fill(match: re.Match[str]) -> str:
        nonlocal matched
        matched += 1
        attrs, formula = match.group(1), match.group(2)
        ref_match = _REF_ATTR.search(attrs)
        ref = ref_match.group(1) if ref_match else "?"
        if ref not in values:
            missing.append(f"{_quote_sheet(sheet_title)}!{ref}")
            return match.group(0)
        cell_type, cached = encode(values[ref], f"{_quote_sheet(sheet_title)}!{ref}")
        if " t=" in attrs:
            attrs = _TYPE_ATTR.sub("", attrs)
        if cell_type:
            attrs += f' t="{cell_type}"'
        return f"<c{attrs}>{formula}<v>{cached}</v></c>"

    text = _FORMULA_CELL.sub(fill, text)
    # A formula cell in a form the pattern does not know would ship without a value.
    if matched != len(_FORMULA_START.findall(text)):
        raise ValueError(f"{sheet_title}: formula cells in an unsupported form (shared/array?)")
    return text.encode("utf-8")


def encode(value: object, where: str) -> tuple[str, str]:
    """(cell t attribute, <v> text) for one cached value."""
    # Plain floats are nearly every cell; skip the slower ABC checks for them.
    if type(value) is float and math.isfinite(value):
        return "", repr(value)
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, numbers.Integral):
        return "", str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{where}: cached value {number} is not a finite number")
        # repr round-trips every float exactly; xsd:double reads it as written.
        return "", repr(number)
    if isinstance(value, str):
        if _ILLEGAL_XML.search(value):
            raise ValueError(f"{where}: cached text holds characters XML cannot carry")
        return "str", escape(value)
    raise ValueError(f"{where}: cached value {value!r} is not a number, bool or text")


def _quote_sheet(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _full_calc_on_load(xml: bytes) -> bytes:
    text = xml.decode("utf-8")
    calc = re.search(r"<calcPr\b[^>]*?/?>", text)
    if calc is None:
        # calcPr comes right after definedNames (or sheets) in the schema's order.
        anchor = re.search(r"</definedNames>|<definedNames\s*/>", text) or re.search(
            r"</sheets>", text
        )
        if anchor is None:
            raise ValueError("xl/workbook.xml has no <sheets> element")
        end = anchor.end()
        text = text[:end] + '<calcPr fullCalcOnLoad="1"/>' + text[end:]
    else:
        element = re.sub(r'\s+fullCalcOnLoad="[^"]*"', "", calc.group(0))
        element = re.sub(r"\s*(/?>)$", r' fullCalcOnLoad="1"\1', element)
        text = text[: calc.start()] + element + text[calc.end() :]
    return text.encode("utf-8")


def _core_properties(xml: bytes, title: str) -> bytes:
    text = xml.decode("utf-8")
    # openpyxl's lxml writer declares namespaces on each element, not on the root, so the
    # replacements declare their own (a repeated declaration of the same URI is harmless).
    for tag in ("dcterms:created", "dcterms:modified"):
        element = (
            f'<{tag} xmlns:dcterms="{_NS_DCTERMS}" xmlns:xsi="{_NS_XSI}" '
            f'xsi:type="dcterms:W3CDTF">{FIXED_TIMESTAMP}</{tag}>'
        )
        text, found = re.subn(rf"<{tag}\b[^>]*>[^<]*</{tag}>|<{tag}\b[^>]*/>", element, text)
        if not found:
            text = text.replace("</cp:coreProperties>", element + "</cp:coreProperties>")
    if title:
        element = f'<dc:title xmlns:dc="{_NS_DC}">{escape(title)}</dc:title>'
        text, found = re.subn(r"<dc:title\b[^>]*>[^<]*</dc:title>|<dc:title\s*/>", element, text)
        if not found:
            text = text.replace("</cp:coreProperties>", element + "</cp:coreProperties>")
    return text.encode("utf-8")


def _custom_properties(xml: bytes, custom: Mapping[str, str]) -> bytes:
    """custom.xml holding the existing properties (ours win by name) then ours, in order."""
    kept = []
    for block in re.findall(r"<property\b.*?</property>", xml.decode("utf-8"), re.DOTALL):
        name = re.search(r'\bname="([^"]*)"', block)
        if name is None or _unescape_attr(name.group(1)) not in custom:
            kept.append(block)
    kept += [
        f'<property fmtid="{_CUSTOM_FMTID}" pid="0" name={quoteattr(name)}>'
        f"<vt:lpwstr>{escape(value)}</vt:lpwstr></property>"
        for name, value in custom.items()
    ]
    # Property ids start at 2 and must be unique.
    numbered = [re.sub(r'\bpid="\d+"', f'pid="{pid}"', b) for pid, b in enumerate(kept, start=2)]
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
        'custom-properties" xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/'
        'docPropsVTypes">' + "".join(numbered) + "</Properties>"
    ).encode("utf-8")


def _unescape_attr(text: str) -> str:
    return unescape(text, {"&quot;": '"', "&apos;": "'"})


def _add_custom_content_type(xml: bytes) -> bytes:
    override = f'<Override PartName="/{_CUSTOM_PART}" ContentType="{_CUSTOM_CT}"/>'
    return xml.decode("utf-8").replace("</Types>", override + "</Types>").encode("utf-8")


def _add_custom_rel(xml: bytes) -> bytes:
    text = xml.decode("utf-8")
    used = {int(n) for n in re.findall(r'\bId="rId(\d+)"', text)}
    rel_id = f"rId{max(used, default=0) + 1}"
    rel = f'<Relationship Id="{rel_id}" Type="{_CUSTOM_REL}" Target="{_CUSTOM_PART}"/>'
    return text.replace("</Relationships>", rel + "</Relationships>").encode("utf-8")


def _write_zip(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = ZIP_FILE_ATTR
            info.create_system = ZIP_CREATE_SYSTEM
            target.writestr(info, data, compresslevel=6)
    return buffer.getvalue()
