"""LibreOffice headless as the reference engine: recalculate workbooks, read and edit cells."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import zipfile
from pathlib import Path

TIMEOUT_SECONDS = 300
# 0 = always recalculate on load; LibreOffice otherwise trusts the cached values.
_RECALC_ITEM = (
    '<item oor:path="/org.openoffice.Office.Calc/Formula/Load">'
    '<prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>'
)
_PROBE_NAME = "unitecon-recalc-probe.xlsx"
_PROBE_INPUT, _PROBE_WRONG, _PROBE_RIGHT = 7, 999, 21

_profile_lock = threading.Lock()
_profile: Path | None = None


def soffice_path() -> str | None:
    """The LibreOffice executable, or None when it is not installed."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in (
        "/usr/lib/libreoffice/program/soffice",
        "/opt/libreoffice/program/soffice",
        "/Applications/LibreOffice.app/Contents/MacOS/soffice",
    ):
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def recalc(paths: list[Path], outdir: Path) -> list[Path]:
    """Recalculate every workbook in one LibreOffice run; return outdir/<name> for each."""
    soffice = soffice_path()
    if soffice is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    paths = [Path(p).resolve() for p in paths]
    names = [p.name for p in paths]
    if len(set(names)) != len(names) or _PROBE_NAME in names:
        raise ValueError(f"two inputs share a file name, so their outputs would clash: {names}")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="unitecon-recalc-") as scratch_name:
        scratch = Path(scratch_name)
        # A profile is locked while in use, so every call gets its own copy.
        profile = scratch / "profile"
        shutil.copytree(_base_profile(), profile)
        probe = scratch / "in" / _PROBE_NAME
        probe.parent.mkdir()
        _write_probe(probe)
        converted = scratch / "out"
        _run(
            [
                soffice,
                "--headless",
                "--norestore",
                f"-env:UserInstallation={profile.as_uri()}",
                "--convert-to",
                "xlsx:Calc MS Excel 2007 XML",
                "--outdir",
                str(converted),
                str(probe),
                *map(str, paths),
            ]
        )
        missing = [name for name in [probe.name, *names] if not (converted / name).is_file()]
        if missing:
            raise RuntimeError(f"LibreOffice did not convert: {missing}")
        probe_value = read_values(converted / probe.name)["Probe"].get("B1")
        if probe_value != _PROBE_RIGHT:
            raise RuntimeError(
                f"LibreOffice kept cached values instead of recalculating "
                f"(probe B1 = {probe_value!r}, expected {_PROBE_RIGHT})"
            )
        outputs = []
        for name in names:
            target = outdir / name
            shutil.move(converted / name, target)
            outputs.append(target)
    return outputs


def read_values(path: Path) -> dict[str, dict[str, object]]:
    """Sheet title -> {ref: value} for every non-empty cell, as last calculated."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, data_only=True)
    try:
        return {
            sheet.title: {
                cell.coordinate: cell.value
                for row in sheet.iter_rows()
                for cell in row
                if cell.value is not None
            }
            for sheet in workbook.worksheets
        }
    finally:
        workbook.close()


def read_names(path: Path) -> dict[str, tuple[str, str]]:
    """Workbook-scoped defined name -> (sheet title, range without $)."""
    import openpyxl

    workbook = openpyxl.load_workbook(path)
    try:
        return _names(workbook)
    finally:
        workbook.close()


def name_values(path: Path) -> dict[str, list]:
    """Defined name -> values of its cells, row by row, as last calculated."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, data_only=True)
    try:
        return {
            name: [cell.value for row in _cells(workbook[sheet], ref) for cell in row]
            for name, (sheet, ref) in _names(workbook).items()
        }
    finally:
        workbook.close()


def set_cells(src: Path, dst: Path, edits: dict[str, object]) -> None:
    """Copy `src` to `dst` with cells changed; keys are single-cell names or "Sheet!A1".

    openpyxl keeps the formulas but drops their cached values (and any charts), so
    recalculate `dst` before reading numbers from it. A text value starting with "="
    becomes a formula, as in openpyxl.
    """
    import openpyxl

    workbook = openpyxl.load_workbook(src)
    try:
        names = _names(workbook)
        for key, value in edits.items():
            if key in names:
                sheet, ref = names[key]
            elif "!" in key:
                sheet, ref = key.rsplit("!", 1)
                sheet = _unquote_sheet(sheet)
                ref = ref.replace("$", "")
            else:
                raise KeyError(f"{key!r} is neither a defined name nor a Sheet!A1 reference")
            if ":" in ref:
                raise ValueError(f"{key!r} covers {ref}; set_cells edits single cells")
            workbook[sheet][ref].value = value
        workbook.save(dst)
    finally:
        workbook.close()


def _names(workbook) -> dict[str, tuple[str, str]]:
    names = {}
    for name, defined in workbook.defined_names.items():
        destinations = list(defined.destinations)
        if len(destinations) == 1:
            sheet, ref = destinations[0]
            names[name] = (sheet, ref.replace("$", ""))
    return names


def _cells(sheet, ref: str) -> tuple[tuple, ...]:
    found = sheet[ref]
    # A range comes back as rows of cells, a single cell as the cell itself.
    return found if isinstance(found, tuple) else ((found,),)


def _unquote_sheet(sheet: str) -> str:
    if len(sheet) >= 2 and sheet[0] == sheet[-1] == "'":
        return sheet[1:-1].replace("''", "'")
    return sheet


def _base_profile() -> Path:
    """A LibreOffice profile that recalculates on load, made once per process."""
    global _profile
    with _profile_lock:
        if _profile is None:
            soffice = soffice_path()
            if soffice is None:
                raise RuntimeError("LibreOffice (soffice) is not installed")
            root = Path(tempfile.mkdtemp(prefix="unitecon-lo-profile-"))
            atexit.register(shutil.rmtree, root, ignore_errors=True)
            profile = root / "profile"
            _run(
                [
                    soffice,
                    "--headless",
                    "--norestore",
                    "--terminate_after_init",
                    f"-env:UserInstallation={profile.as_uri()}",
                ]
            )
            registry = profile / "user" / "registrymodifications.xcu"
            if not registry.is_file():
                raise RuntimeError(f"LibreOffice did not create its profile in {profile}")
            text = registry.read_text(encoding="utf-8")
            registry.write_text(
                text.replace("</oor:items>", _RECALC_ITEM + "\n</oor:items>"), encoding="utf-8"
            )
            _profile = profile
        return _profile


def _write_probe(path: Path) -> None:
    """A workbook whose formula =A1*3 carries a wrong cached value."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Probe"
    sheet["A1"] = _PROBE_INPUT
    sheet["B1"] = "=A1*3"
    workbook.save(path)
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            if info.filename == "xl/worksheets/sheet1.xml":
                data, count = re.subn(
                    rb"(<f>A1\*3</f>)(?:<v\s*/>|<v>[^<]*</v>)?",
                    rb"\g<1><v>%d</v>" % _PROBE_WRONG,
                    data,
                )
                if count != 1:
                    raise RuntimeError("could not plant the probe's wrong cached value")
            target.writestr(info, data)


def _run(command: list[str]) -> None:
    # soffice forks a child; a new session lets a timeout kill the whole group.
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise RuntimeError(f"LibreOffice did not finish in {TIMEOUT_SECONDS} s") from None
    if process.returncode != 0:
        text = output.decode("utf-8", "replace").strip()
        raise RuntimeError(f"LibreOffice exited with {process.returncode}: {text}")
