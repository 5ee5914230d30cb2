"""Turn an LMS export (a zip or a folder) into one clean submission folder per learner.

Instructors download submissions from Canvas, Moodle or nbgrader's exchange, or assemble a
folder by hand. Whatever arrives, intake must never crash and never lose a file: the export is
unpacked into a scratch area (the original is only read), every file that cannot be attributed
or used is kept there and named in an ``Issue`` line of the cohort report, and each learner ends
up with a folder holding their notebooks under the names the assignment expects.

Layouts recognised (after descending through a single wrapper folder):

* Canvas: ``lastnamefirstname_[late_]USERID_ATTACHMENTID_filename`` files (resubmitted files
  may carry ``-1``, ``-2`` before the extension);
* Moodle: ``Full Name_PARTICIPANTID_assignsubmission_file_/filename`` folders, or the same
  prefix on flat files;
* nbgrader: ``submitted/<learner>/<assignment>/`` (with or without the ``submitted`` folder);
* anything else through a mapping CSV (``path,learner_id[,first_name,last_name,email,
  lms_user_id]``): ``path`` is a file or folder of the export, or an LMS user id that renames
  a Canvas/Moodle learner.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import stat
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

MAX_FILE_BYTES = 64 * 1024**2  # one uploaded file; a notebook is rarely above a few MB
MAX_TOTAL_BYTES = 4 * 1024**3  # one export, unpacked: a zip bomb stops here
JUNK = {"__MACOSX", ".DS_Store", ".ipynb_checkpoints", "__pycache__", "Thumbs.db"}

CANVAS = re.compile(
    r"^(?P<sortable>[^_/]+)_(?P<late>late_)?(?P<uid>\d+)_(?:(?P<aid>\d+)_)?(?P<file>.+)$"
)
MOODLE = re.compile(
    r"^(?P<name>.+?)_(?P<pid>\d+)_assign(?:submission|feedback)_(?P<plugin>[a-z]+)_(?P<file>.*)$"
)
RESUBMIT_SUFFIX = re.compile(r"^(?P<stem>.+?)(?:-\d+| \(\d+\))$")  # Canvas "-1", OS " (1)"
SAFE_ID = re.compile(r"[^A-Za-z0-9_.@-]+")


class IntakeError(RuntimeError):
    """The export cannot be read at all (not a zip, not a folder): nothing can be graded."""


@dataclass(frozen=True)
class Issue:
    """One line of the report about the export: what happened to which file, what to do."""

    kind: str  # "unknown layout", "duplicate", "empty upload", "refused", "corrupt", ...
    path: str  # where in the export (or the learner it concerns)
    message: str

    def line(self) -> str:
        """The report line."""
        return f"[{self.kind}] {self.path}: {self.message}"


@dataclass
class Learner:
    """One learner's submission, normalised into ``folder`` (a scratch copy)."""

    learner_id: str
    source: str  # "canvas", "moodle", "nbgrader", "mapping"
    folder: Path
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    lms_user_id: str | None = None
    late: bool = False
    origins: list[str] = field(default_factory=list)
    timestamp: str | None = None  # newest file time in the export (ISO, UTC)

    def files(self) -> dict[str, bytes]:
        """The submission's files (relative name -> bytes), as sent to a grading worker."""
        return {
            p.relative_to(self.folder).as_posix(): p.read_bytes()
            for p in sorted(self.folder.rglob("*"))
            if p.is_file()
        }


@dataclass
class Intake:
    """Every learner found in an export, and every issue met on the way."""

    learners: dict[str, Learner]
    issues: list[Issue]
    layouts: dict[str, int]  # layout -> learners found with it


@dataclass
class _Candidate:
    learner: str
    path: Path  # the unpacked file in scratch
    origin: str  # where it was in the export
    rank: tuple[int, int]  # newer wins among duplicates (Canvas attachment id, order seen)
    name: str  # the file name the learner gave it (prefix removed)


@dataclass
class _Who:
    source: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    lms_user_id: str | None = None
    late: bool = False


def safe_id(text: str) -> str:
    """An nbgrader student id that is also a safe folder name."""
    return SAFE_ID.sub("_", text.strip()).strip("._") or "unnamed"


# ---------------------------------------------------------------- unpacking


def unpack(export: Path, dest: Path, issues: list[Issue]) -> None:
    """Copy or extract ``export`` into ``dest`` (fresh), refusing anything unsafe.

    Refused entries (zip-slip paths, symlinks, devices, oversized or encrypted members) and
    unreadable ones each get an Issue; the rest is extracted.
    """
    export = Path(export)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    if export.is_dir():
        _copy_tree(export, dest, issues)
    elif export.is_file() and zipfile.is_zipfile(export):
        _extract_zip(export, dest, issues, label="")
    elif export.is_file():
        raise IntakeError(
            f"{export} is neither a zip file nor a folder (a corrupt or truncated download?). "
            "Download the submissions again from the LMS, or pass the folder they are in."
        )
    else:
        raise IntakeError(f"{export} does not exist. Pass the LMS zip or the submissions folder.")


def _copy_tree(src: Path, dest: Path, issues: list[Issue]) -> None:
    """Copy regular files and folders only; symlinks and special files are never followed."""
    for root, dirs, files in os.walk(src, followlinks=False):
        rel_root = Path(root).relative_to(src)
        for name in sorted(dirs + files):
            path = Path(root) / name
            rel = (rel_root / name).as_posix()
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                issues.append(Issue("refused", rel, "a symbolic link; not followed, not graded"))
                if name in dirs:
                    dirs.remove(name)
            elif stat.S_ISDIR(info.st_mode):
                (dest / rel).mkdir(parents=True, exist_ok=True)
            elif stat.S_ISREG(info.st_mode):
                if info.st_size > MAX_FILE_BYTES:
                    issues.append(_too_big(rel, info.st_size))
                    continue
                (dest / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, dest / rel, follow_symlinks=False)
            else:
                issues.append(
                    Issue("refused", rel, "not a regular file (FIFO, socket or device); skipped")
                )


def _too_big(rel: str, size: int) -> Issue:
    return Issue(
        "refused",
        rel,
        f"{size / 1024**2:.0f} MB is above the {MAX_FILE_BYTES // 1024**2} MB per-file limit; "
        "not unpacked (ask the learner for a smaller notebook: clear the outputs)",
    )


def _extract_zip(archive: Path, dest: Path, issues: list[Issue], label: str) -> bool:
    """Extract ``archive`` into ``dest`` member by member; False when it is not a readable zip."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        issues.append(Issue("corrupt", label or archive.name, f"not a readable zip ({exc})"))
        return False
    total = 0
    seen: set[str] = set()
    with zf:
        for info in zf.infolist():
            name = info.filename.replace("\\", "/")
            where = f"{label}!{name}" if label else name
            parts = PurePosixPath(name).parts
            mode = (info.external_attr >> 16) & 0o170000
            if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
                issues.append(
                    Issue("refused", where, "path escapes the export (zip-slip); not extracted")
                )
                continue
            if mode == stat.S_IFLNK:
                issues.append(Issue("refused", where, "a symbolic link inside the zip; skipped"))
                continue
            if mode and mode not in (stat.S_IFREG, stat.S_IFDIR):
                issues.append(Issue("refused", where, "not a regular file; skipped"))
                continue
            if info.flag_bits & 0x1:
                issues.append(Issue("corrupt", where, "encrypted member; cannot be read"))
                continue
            if not parts:
                continue
            target = dest.joinpath(*parts)
            if not target.resolve().is_relative_to(dest.resolve()):
                issues.append(Issue("refused", where, "path escapes the export; not extracted"))
                continue
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            if info.file_size > MAX_FILE_BYTES:
                issues.append(_too_big(where, info.file_size))
                continue
            if total + info.file_size > MAX_TOTAL_BYTES:
                issues.append(
                    Issue("refused", where, "the export unpacks to more than 4 GB; stopped here")
                )
                break
            if name in seen:  # the same name twice in one zip: keep both, the later one used
                aside = dest / "_duplicate_entries" / f"{len(seen)}-{parts[-1]}"
                aside.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(target, aside)
                issues.append(
                    Issue(
                        "duplicate",
                        where,
                        f"appears twice in the zip; the earlier copy is in {aside}",
                    )
                )
            seen.add(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                written = _copy_member(zf, info, target)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as exc:
                target.unlink(missing_ok=True)
                issues.append(Issue("corrupt", where, f"could not be extracted ({exc})"))
                continue
            total += written
            stamp = datetime(*info.date_time).timestamp() if info.date_time[0] >= 1980 else None
            if stamp:
                os.utime(target, (stamp, stamp))
    return True


def _copy_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path) -> int:
    """Copy one member, counting real bytes (a header can lie about the size)."""
    written = 0
    with zf.open(info) as src, target.open("wb") as out:
        while chunk := src.read(1 << 20):
            written += len(chunk)
            if written > MAX_FILE_BYTES:
                raise ValueError(f"larger than its header says (> {MAX_FILE_BYTES} bytes)")
            out.write(chunk)
    return written


# ---------------------------------------------------------------- layouts


def _read_mapping(mapping: Path | None, issues: list[Issue]) -> dict[str, dict[str, str]]:
    """key (export path or LMS user id) -> row; a bad row is an Issue, not a crash."""
    if mapping is None:
        return {}
    rows: dict[str, dict[str, str]] = {}
    try:
        with Path(mapping).open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"path", "learner_id"} <= set(reader.fieldnames):
                raise IntakeError(
                    f"mapping file {mapping} needs a header with at least path,learner_id "
                    f"(found {reader.fieldnames})"
                )
            for number, row in enumerate(reader, start=2):
                key = (row.get("path") or "").strip().strip("/")
                learner = (row.get("learner_id") or "").strip()
                if not key or not learner:
                    issues.append(
                        Issue("mapping", f"{mapping}:{number}", "row without path or learner_id")
                    )
                    continue
                if key in rows:
                    issues.append(
                        Issue("mapping", f"{mapping}:{number}", f"{key} mapped twice; first kept")
                    )
                    continue
                rows[key] = {k: (v or "").strip() for k, v in row.items() if k}
    except OSError as exc:
        raise IntakeError(f"mapping file {mapping} cannot be read: {exc}") from exc
    return rows


def _wrapper_root(raw: Path, module: str) -> Path:
    """Descend through single wrapper folders (``export/`` holding everything)."""
    root = raw
    while True:
        entries = [e for e in root.iterdir() if e.name not in JUNK]
        if len(entries) != 1 or not entries[0].is_dir():
            return root
        only = entries[0]
        if only.name in ("submitted", module) or MOODLE.match(only.name):
            return root
        root = only


def _split_name(full: str) -> tuple[str | None, str | None]:
    words = full.split()
    if not words:
        return None, None
    if len(words) == 1:
        return None, words[0]
    return " ".join(words[:-1]), words[-1]


def collect(
    export: Path,
    module: str,
    scratch: Path,
    notebook_names: list[str],
    *,
    mapping: Path | None = None,
) -> Intake:
    """Unpack ``export`` under ``scratch`` and build one folder per learner.

    ``notebook_names`` are the assignment's notebook stems (e.g. ``["squares"]``); uploads
    named like a resubmission (``squares-1.ipynb``) are renamed to them.
    Raises IntakeError only when the export is unreadable as a whole.
    """
    issues: list[Issue] = []
    raw = scratch / "raw"
    unpack(export, raw, issues)
    rows = _read_mapping(mapping, issues)
    root = _wrapper_root(raw, module)
    candidates: list[_Candidate] = []
    who: dict[str, _Who] = {}
    order = 0

    def add(learner: str, path: Path | None, name: str, info: _Who, rank: int = 0) -> None:
        """Register a learner and (unless ``path`` is None: nothing usable) one file."""
        nonlocal order
        order += 1
        if info.lms_user_id and info.lms_user_id in rows:  # the mapping renames LMS learners
            row = rows[info.lms_user_id]
            learner = row["learner_id"]
            info = _Who(
                info.source,
                row.get("first_name") or info.first_name,
                row.get("last_name") or info.last_name,
                row.get("email") or info.email,
                info.lms_user_id,
                info.late,
            )
        learner = safe_id(learner)
        known = who.get(learner)
        if known is None:
            who[learner] = info
        else:
            known.late = known.late or info.late
            if known.source != info.source:
                issues.append(
                    Issue(
                        "duplicate",
                        learner,
                        f"found both as a {known.source} and as a {info.source} submission; "
                        "their files are merged (newest upload wins per file)",
                    )
                )
                known.source = info.source
        if path is not None:
            origin = path.relative_to(raw).as_posix()
            candidates.append(_Candidate(learner, path, origin, (rank, order), name))

    entries = sorted(e for e in root.iterdir() if e.name not in JUNK)
    for entry in entries:
        rel = entry.relative_to(root).as_posix()
        if rel in rows:
            row = rows[rel]
            info = _Who(
                "mapping",
                row.get("first_name") or None,
                row.get("last_name") or None,
                row.get("email") or None,
                row.get("lms_user_id") or None,
            )
            for path in _files_under(entry):
                add(row["learner_id"], path, path.name, info)
            continue
        if entry.is_dir() and entry.name == "submitted":
            for student in sorted(p for p in entry.iterdir() if p.name not in JUNK):
                _nbgrader_learner(student, module, add, issues, raw)
            continue
        moodle = MOODLE.match(entry.name)
        if moodle:
            first, last = _split_name(moodle["name"])
            info = _Who("moodle", first, last, None, moodle["pid"])
            if moodle["plugin"] != "file":
                issues.append(
                    Issue(
                        "not a notebook",
                        rel,
                        f"a Moodle '{moodle['plugin']}' entry, not a file upload; not graded",
                    )
                )
                continue
            if entry.is_dir():
                for path in _files_under(entry):
                    add(moodle["pid"], path, path.name, info)
                add(moodle["pid"], None, "", info)  # listed even when the folder is empty
            elif moodle["file"]:
                add(moodle["pid"], entry, moodle["file"], info)
            continue
        canvas = CANVAS.match(entry.name) if entry.is_file() else None
        if canvas:
            info = _Who(
                "canvas",
                None,
                canvas["sortable"],
                None,
                canvas["uid"],
                late=bool(canvas["late"]),
            )
            add(canvas["uid"], entry, canvas["file"], info, int(canvas["aid"] or 0))
            continue
        if entry.is_dir() and (entry / module).is_dir():  # nbgrader without submitted/
            _nbgrader_learner(entry, module, add, issues, raw)
            continue
        issues.append(
            Issue(
                "unknown layout",
                rel,
                "not a Canvas, Moodle or nbgrader name and not in the mapping file; not graded. "
                f"It is kept in {entry}; add a row 'path,learner_id' for it to a mapping CSV "
                "(--mapping) and run again",
            )
        )

    # A learner whose only upload was refused or unreadable is still a learner: graded as
    # missing (0), so they appear in the gradebook and the report rather than vanish.
    for issue in list(issues):
        if issue.kind not in ("refused", "corrupt") or "!" in issue.path:
            continue
        parts = PurePosixPath(issue.path).parts
        moodle = next((m for m in map(MOODLE.match, parts) if m), None)
        canvas = CANVAS.match(parts[-1]) if parts and len(parts) == 1 else None
        if moodle:
            first, last = _split_name(moodle["name"])
            add(moodle["pid"], None, "", _Who("moodle", first, last, None, moodle["pid"]))
        elif canvas:
            info = _Who(
                "canvas", None, canvas["sortable"], None, canvas["uid"], late=bool(canvas["late"])
            )
            add(canvas["uid"], None, "", info)

    learners = _build_folders(candidates, who, scratch / "learners", module, notebook_names, issues)
    layouts: dict[str, int] = {}
    for learner in learners.values():
        layouts[learner.source] = layouts.get(learner.source, 0) + 1
    return Intake(learners, issues, layouts)


def _files_under(entry: Path) -> list[Path]:
    if entry.is_file():
        return [entry]
    return sorted(p for p in entry.rglob("*") if p.is_file() and not (set(p.parts) & JUNK))


def _nbgrader_learner(student: Path, module: str, add, issues: list[Issue], raw: Path) -> None:
    rel = student.relative_to(raw).as_posix()
    if not student.is_dir():
        issues.append(Issue("unknown layout", rel, "a file where a learner folder was expected"))
        return
    folder = student / module
    if not folder.is_dir():
        others = ", ".join(sorted(p.name for p in student.iterdir())) or "nothing"
        issues.append(
            Issue(
                "unknown layout",
                rel,
                f"no {module}/ folder in this learner's submission (found: {others}); not graded",
            )
        )
        return
    files = _files_under(folder)
    for path in files:
        add(student.name, path, path.relative_to(folder).as_posix(), _Who("nbgrader"))
    if not files:  # nothing usable (e.g. only a refused symlink): still a learner, graded 0
        add(student.name, None, "", _Who("nbgrader"))


def _target_name(name: str, notebook_names: list[str]) -> tuple[str, bool]:
    """The name a file gets in the learner folder; True when it was renamed."""
    base = PurePosixPath(name).name
    path = PurePosixPath(base)
    if path.suffix != ".ipynb" or path.stem in notebook_names:
        return base, False
    match = RESUBMIT_SUFFIX.match(path.stem)
    if match and match["stem"] in notebook_names:
        return f"{match['stem']}.ipynb", True
    return base, False


def _new_learner(learner: str, info: _Who, folder: Path) -> Learner:
    """A learner's entry with the identity the export gave, and the folder to grade."""
    return Learner(
        learner,
        info.source,
        folder,
        info.first_name,
        info.last_name,
        info.email,
        info.lms_user_id,
        info.late,
    )


def _build_folders(
    candidates: list[_Candidate],
    who: dict[str, _Who],
    dest: Path,
    module: str,
    notebook_names: list[str],
    issues: list[Issue],
) -> dict[str, Learner]:
    if dest.exists():
        shutil.rmtree(dest)
    learners: dict[str, Learner] = {}
    chosen: dict[tuple[str, str], _Candidate] = {}
    expanded: list[_Candidate] = []
    for cand in candidates:
        if cand.name.lower().endswith(".zip"):  # a learner who zipped their notebooks
            expanded += _nested_zip(cand, dest.parent / "nested", issues)
        else:
            expanded.append(cand)
    for cand in expanded:
        target, renamed = _target_name(cand.name, notebook_names)
        if renamed:
            issues.append(
                Issue("renamed", cand.origin, f"graded as {target} (looks like a resubmission)")
            )
        if cand.path.stat().st_size == 0:
            issues.append(
                Issue("empty upload", cand.origin, f"learner {cand.learner}: the file is empty")
            )
        key = (cand.learner, target)
        other = chosen.get(key)
        if other is not None:
            keep, drop = (cand, other) if cand.rank > other.rank else (other, cand)
            issues.append(
                Issue(
                    "duplicate",
                    cand.learner,
                    f"two uploads for {target}: graded {keep.origin}, set aside {drop.origin} "
                    "(still in the scratch area)",
                )
            )
            chosen[key] = keep
        else:
            chosen[key] = cand
    for (learner, target), cand in sorted(chosen.items()):
        info = who[learner]
        folder = dest / learner / module
        entry = learners.get(learner)
        if entry is None:
            entry = learners[learner] = _new_learner(learner, info, folder)
        out = folder / target
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cand.path, out)
        entry.origins.append(cand.origin)
        mtime = datetime.fromtimestamp(cand.path.stat().st_mtime, UTC).isoformat()
        entry.timestamp = max(entry.timestamp or mtime, mtime)
    for learner, info in who.items():  # a learner whose only upload was unusable
        if learner not in learners:
            folder = dest / learner / module
            folder.mkdir(parents=True, exist_ok=True)
            learners[learner] = _new_learner(learner, info, folder)
    for learner in learners.values():
        if not any(learner.folder.glob("*.ipynb")):
            issues.append(
                Issue(
                    "no notebook",
                    learner.learner_id,
                    "no notebook in this submission; graded as missing (0 points)",
                )
            )
    return learners


def _nested_zip(cand: _Candidate, scratch: Path, issues: list[Issue]) -> list[_Candidate]:
    """Unpack a learner's own zip (one level); a zip inside it is reported, not opened."""
    dest = scratch / f"{cand.learner}-{hashlib.sha1(cand.origin.encode()).hexdigest()[:8]}"
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    if not _extract_zip(cand.path, dest, issues, label=cand.origin):
        return []
    issues.append(
        Issue("nested zip", cand.origin, f"learner {cand.learner} uploaded a zip; unpacked")
    )
    found: list[_Candidate] = []
    for path in _files_under(dest):
        if path.suffix.lower() == ".zip":
            issues.append(
                Issue(
                    "nested zip",
                    f"{cand.origin}!{path.relative_to(dest)}",
                    "a zip inside a zip; not opened, not graded",
                )
            )
            continue
        found.append(
            _Candidate(
                cand.learner, path, f"{cand.origin}!{path.relative_to(dest)}", cand.rank, path.name
            )
        )
    return found


def submission_hash(files: dict[str, bytes], grading_key: str) -> str:
    """What decides whether a learner must be graded again: their files and the assignment."""
    digest = hashlib.sha256(grading_key.encode())
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()
