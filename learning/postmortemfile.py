"""Postmortem files: Markdown with YAML front matter, and JSON Lines of the same fields.

Pure Python (no Django models): `read_path(path)` yields one `Parsed` per record, either a
`PostmortemRecord` or a `RecordError` with the file and line, so an importer can import the good
records and report the bad ones. `dump_markdown` / `dump_jsonl_line` write what reads back to the
same records. The keys are documented in docs/postmortem-format.md.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

FIELDS = ("id", "title", "date", "team", "organization", "services", "severity", "tags", "categories",
          "source_url", "summary", "lessons", "body")  # fmt: skip
LIST_FIELDS = ("services", "tags", "categories")
MAX_TITLE = 200
# Python's JSON and YAML readers recurse per level of nesting; a record is a flat mapping of fields.
TOO_DEEP = "nested too deeply to be a record"
SEVERITY_RE = re.compile(r"^(?:sev)?\s*([1-5])$", re.IGNORECASE)
URL_RE = re.compile(r"^https?://\S+$")


@dataclass(frozen=True)
class PostmortemRecord:
    key: str
    title: str
    date: dt.date
    team: str = ""
    organization: str = ""
    services: tuple[str, ...] = ()
    severity: int | None = None
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    source_url: str = ""
    summary: str = ""
    lessons: str = ""
    body: str = ""
    explicit_id: bool = field(default=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("explicit_id")
        data["id"] = data.pop("key")
        data["date"] = self.date.isoformat()
        data["severity"] = f"SEV{self.severity}" if self.severity else None
        for name in LIST_FIELDS:
            data[name] = list(data[name])
        return {k: data[k] for k in FIELDS if data.get(k) not in (None, "", [])}


@dataclass(frozen=True)
class RecordError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


Parsed = PostmortemRecord | RecordError


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80]


def stable_key(data: dict[str, Any], date: dt.date, title: str) -> tuple[str, bool]:
    """The key that makes re-imports update rather than duplicate: `id`, else the source URL, else title+date."""
    if data.get("id"):
        return str(data["id"]).strip(), True
    if data.get("source_url"):
        return f"url:{str(data['source_url']).strip()}", False
    return f"{date.isoformat()}-{slugify(title)}", False


class _Invalid(Exception):
    def __init__(self, key: str | None, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def _as_list(key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [part for part in re.split(r"\s*,\s*", value) if part]
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise _Invalid(key, f"{key}: expected a list of names")
    cleaned = tuple(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))
    return cleaned


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise _Invalid("date", f"date: expected YYYY-MM-DD, got {value!r}")


def _as_severity(value: Any) -> int | None:
    if value in (None, ""):
        return None
    match = SEVERITY_RE.match(str(value).strip())
    if not match:
        raise _Invalid("severity", f"severity: expected SEV1..SEV5 (or 1..5), got {value!r}")
    return int(match.group(1))


def build_record(data: Any, body: str | None = None) -> PostmortemRecord:
    """Validate one record's fields (a mapping) into a PostmortemRecord, or raise _Invalid."""
    if not isinstance(data, dict):
        raise _Invalid(None, "expected a mapping of fields")
    unknown = sorted(set(map(str, data)) - set(FIELDS))
    if unknown:
        raise _Invalid(unknown[0], f"unknown field {unknown[0]!r} (known: {', '.join(FIELDS)})")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise _Invalid("title", "title: required")
    title = title.strip()
    if len(title) > MAX_TITLE:
        raise _Invalid("title", f"title: at most {MAX_TITLE} characters (got {len(title)})")
    if "date" not in data:
        raise _Invalid(None, "date: required")
    date = _as_date(data["date"])
    team = str(data.get("team") or "").strip()
    organization = str(data.get("organization") or "").strip()
    source_url = str(data.get("source_url") or "").strip()
    if source_url and not URL_RE.match(source_url):
        raise _Invalid("source_url", f"source_url: not an http(s) URL: {source_url!r}")
    summary = data.get("summary") or ""
    lessons = data.get("lessons") or ""
    for key, value in (("summary", summary), ("lessons", lessons)):
        if not isinstance(value, str):
            raise _Invalid(key, f"{key}: expected text")
    if body is None:
        body = data.get("body") or ""
        if not isinstance(body, str):
            raise _Invalid("body", "body: expected text")
    key, explicit = stable_key(data, date, title)
    return PostmortemRecord(
        key=key, title=title, date=date, team=team, organization=organization,
        services=_as_list("services", data.get("services")), severity=_as_severity(data.get("severity")),
        tags=_as_list("tags", data.get("tags")), categories=_as_list("categories", data.get("categories")),
        source_url=source_url, summary=summary.strip(), lessons=lessons.strip(), body=body.strip(),
        explicit_id=explicit,
    )  # fmt: skip


def _key_lines(text: str) -> dict[str, int]:
    """1-based line of each top-level key in a YAML mapping (for error messages)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}


def read_markdown(text: str, name: str) -> Parsed:
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return RecordError(name, 1, "expected YAML front matter starting with '---' on the first line")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        return RecordError(name, 1, "front matter is not closed with a '---' line")
    front = "\n".join(lines[1:end])
    try:
        data = yaml.safe_load(front) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark else 1
        return RecordError(name, line, f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}")
    except RecursionError:
        return RecordError(name, 2, TOO_DEEP)
    body = "\n".join(lines[end + 1 :])
    try:
        return build_record(data, body=body)
    except _Invalid as exc:
        line = _key_lines(front).get(exc.key or "", 0) + 1 if exc.key else 1
        return RecordError(name, line, exc.message)


def read_jsonl_located(text: str, name: str) -> Iterator[tuple[int, Parsed]]:
    """(line, record or error) for each non-blank line."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, RecordError(name, number, f"invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        except RecursionError:
            yield number, RecordError(name, number, TOO_DEEP)
            continue
        try:
            yield number, build_record(data)
        except _Invalid as exc:
            yield number, RecordError(name, number, exc.message)


def read_jsonl(text: str, name: str) -> Iterator[Parsed]:
    for _number, parsed in read_jsonl_located(text, name):
        yield parsed


def is_jsonl_name(name: str) -> bool:
    return name.lower().endswith((".jsonl", ".ndjson", ".json"))


def read_text_located(text: str, name: str) -> Iterator[tuple[int, Parsed]]:
    """(line, record or error) for one file's text; a Markdown record is at line 1."""
    if is_jsonl_name(name):
        yield from read_jsonl_located(text, name)
    else:
        yield 1, read_markdown(text, name)


def read_text(text: str, name: str) -> Iterator[Parsed]:
    """Records in one file's text; the format follows the name (.jsonl/.ndjson/.json vs Markdown)."""
    for _number, parsed in read_text_located(text, name):
        yield parsed


def read_path_located(path: Path) -> Iterator[tuple[str, int, Parsed]]:
    """(file, line, record or error) from a file, or from every .md/.markdown/.jsonl file under a directory."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".md", ".markdown", ".jsonl", ".ndjson"))
    else:
        files = [path]
    for file in files:
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            yield str(file), 0, RecordError(str(file), 0, f"cannot read: {exc}")
            continue
        for number, parsed in read_text_located(text, str(file)):
            yield str(file), number, parsed


def read_path(path: Path) -> Iterator[Parsed]:
    """Records from a file, or from every .md/.markdown/.jsonl file under a directory (sorted)."""
    for _file, _number, parsed in read_path_located(path):
        yield parsed


def dump_markdown(record: PostmortemRecord) -> str:
    data = record.to_dict()
    body = data.pop("body", "")
    front = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return f"---\n{front}---\n\n{body}\n"


def dump_jsonl_line(record: PostmortemRecord) -> str:
    return json.dumps(record.to_dict(), ensure_ascii=False, sort_keys=False)


def markdown_filename(record: PostmortemRecord) -> str:
    return f"{slugify(record.key) or 'postmortem'}.md"


def markdown_files(records: Iterable[PostmortemRecord]) -> Iterator[tuple[str, str]]:
    """(file name, Markdown text) per record, names made unique within the export."""
    names: set[str] = set()
    for record in records:
        name = markdown_filename(record)
        stem, number = name[:-3], 2
        while name in names:
            name, number = f"{stem}-{number}.md", number + 1
        names.add(name)
        yield name, dump_markdown(record)
