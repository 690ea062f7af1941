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

from opsx import yamlsafe

FIELDS = ("id", "title", "date", "team", "organization", "services", "severity", "tags", "categories",
          "source_url", "summary", "lessons", "body")  # fmt: skip
LIST_FIELDS = ("services", "tags", "categories")
MAX_TITLE = 200
# Python's JSON and YAML readers recurse per level of nesting; a record is a flat mapping of fields.
TOO_DEEP = "nested too deeply to be a record"
# Front matter holds a record's short fields (the text is the body): more is hostile, and YAML is slow to read.
MAX_FRONT_MATTER_CHARS = 64 * 1024
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
        node = yaml.compose(text, Loader=yamlsafe.NoAliasSafeLoader)
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
    if len(front) > MAX_FRONT_MATTER_CHARS:
        return RecordError(
            name, 2, f"front matter is over {MAX_FRONT_MATTER_CHARS:,} characters; put long text below it"
        )
    try:
        data = yamlsafe.safe_load(front) or {}
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


def file_too_large(name: str, size: int, max_bytes: int) -> str:
    return f"{name}: the file is {size:,} bytes; the limit is {max_bytes:,} per file"


def read_path_located(path: Path, max_bytes: int | None = None) -> Iterator[tuple[str, int, Parsed]]:
    """(file, line, record or error) from a file, or from every .md/.markdown/.jsonl file under a directory.
    A file over `max_bytes` is one error (it is not read)."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".md", ".markdown", ".jsonl", ".ndjson"))
    else:
        files = [path]
    for file in files:
        try:
            size = file.stat().st_size
            if max_bytes is not None and size > max_bytes:
                yield str(file), 0, RecordError(str(file), 0, file_too_large(file.name, size, max_bytes))
                continue
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


# --- action items in a postmortem body -------------------------------------------------------
#
# Write-ups from elsewhere list their follow-ups under a heading such as "## Action items", as a list
# (`- [ ] Add alerting (owner: @alice, due: 2024-04-01)`) or as a table (`| Action | Owner | Due |
# Status |`). `extract_action_items` takes that section out of the body and returns its items; the
# importer turns them into action-item records. docs/postmortem-format.md lists what is recognised.

ACTION_HEADINGS = frozenset(
    {
        "action items", "action item", "actions", "action plan", "follow-up actions", "follow-up items",
        "follow-ups", "follow ups", "followups", "follow-up", "corrective actions", "corrective and preventive actions",
        "corrective and preventative actions", "preventive actions", "preventative actions", "remediation",
        "remediation items", "remediations", "next steps", "todo", "to do", "to-do", "tasks", "action items and owners",
    }
)  # fmt: skip
COLUMNS = {
    "title": ("action", "action item", "item", "title", "task", "description", "what", "summary", "remediation",
              "follow-up", "todo", "to do"),
    "owner": ("owner", "owners", "assignee", "assignees", "assigned to", "assigned", "responsible", "who", "dri",
              "owner(s)", "team member"),
    "due": ("due", "due date", "deadline", "target date", "target", "by", "eta", "due by", "when", "date"),
    "status": ("status", "state", "done", "progress"),
    "priority": ("priority", "prio", "pri"),
    "tracker": ("ticket", "tracker", "issue", "link", "jira", "url", "bug", "reference", "ref"),
}  # fmt: skip
STATUS_WORDS = {
    "open": ("open", "todo", "to do", "to-do", "not started", "new", "planned", "pending", "backlog", "proposed", "no"),
    "in_progress": ("in progress", "in-progress", "in_progress", "doing", "started", "wip", "ongoing", "active"),
    "done": ("done", "complete", "completed", "closed", "fixed", "resolved", "finished", "shipped", "yes", "x",
             "✅", "✔", "✓"),
    "wont_do": ("won't do", "wont do", "wont_do", "won't fix", "wontfix", "will not do", "cancelled", "canceled",
                "rejected", "dropped", "obsolete", "not planned"),
}  # fmt: skip
_STATUS = {word: status for status, words in STATUS_WORDS.items() for word in words}
_ANY_HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_LIST_RE = re.compile(r"^(?P<indent>\s*)(?:[-*+]|\d+[.)])\s+(?:\[(?P<box>[ xX])\]\s+)?(?P<text>.+)$")
_META_RE = re.compile(
    r"\b(?P<key>owner|owners|assignee|assigned to|responsible|who|dri|due date|due|deadline|target|by|eta|"
    r"status|state|priority|prio|ticket|tracker|issue|link)\s*[:=]\s*(?P<value>(?:[^,;()\[\]]|,\s*\d{4}\b)+)",
    re.IGNORECASE,
)
_MENTION_RE = re.compile(r"(?<![\w.])@(?P<name>[\w.+-]+)")
_PRIORITY_RE = re.compile(r"^p?([1-4])$", re.IGNORECASE)
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%b %d, %Y", "%B %d, %Y",
                "%d.%m.%Y")  # fmt: skip


@dataclass(frozen=True)
class ActionItemLine:
    """One action item as the write-up states it. `problems` are what could not be read (for warnings)."""

    title: str
    owner: str = ""
    due: dt.date | None = None
    status: str = ""
    priority: str = ""
    tracker_url: str = ""
    description: str = ""
    problems: tuple[str, ...] = ()


def _normal(text: str) -> str:
    return re.sub(r"[\s*_`:]+", " ", text).strip().lower()


def is_action_heading(text: str) -> bool:
    return _normal(text) in ACTION_HEADINGS


def parse_due(text: str) -> dt.date | None:
    """A due date in a common written form (ISO first); None when it is not one."""
    value = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", text.strip().strip("*_`"))
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar day, no time zone
        except ValueError:
            continue
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def parse_status(text: str) -> str | None:
    """open, in_progress, done or wont_do for a written status; None when it is not one we know."""
    return _STATUS.get(_normal(text).replace("’", "'"))


def _item(title: str, values: dict[str, str], box: str | None = None, description: str = "") -> ActionItemLine:
    problems: list[str] = []
    due = None
    if values.get("due"):
        due = parse_due(values["due"])
        if due is None:
            problems.append(f"due date {values['due']!r} is not a date (use YYYY-MM-DD); left without one")
    status = ""
    if values.get("status"):
        status = parse_status(values["status"]) or ""
        if not status:
            problems.append(f"status {values['status']!r} is not one we know; left open")
    elif box is not None:
        status = "done" if box.lower() == "x" else "open"
    priority = ""
    if values.get("priority"):
        match = _PRIORITY_RE.match(values["priority"].strip())
        priority = f"p{match.group(1)}" if match else ""
        if not match:
            problems.append(f"priority {values['priority']!r} is not P1..P4; left at P3")
    tracker = values.get("tracker", "").strip()
    link = re.search(r"https?://[^\s)\]>]+", tracker)
    if tracker and not link:
        problems.append(f"ticket {tracker!r} is not a link; left out")
    owner = values.get("owner", "").strip().strip("*_`").lstrip("@").strip()
    return ActionItemLine(
        title=title.strip()[:200],
        owner=owner,
        due=due,
        status=status,
        priority=priority,
        tracker_url=link.group(0) if link else "",
        description=description.strip(),
        problems=tuple(problems),
    )


_KEY_NAMES = {
    **{key: name for name, keys in COLUMNS.items() for key in keys},
    "due date": "due", "by": "due", "target": "due", "eta": "due", "deadline": "due",
}  # fmt: skip


def _list_item(text: str, box: str | None, description: str) -> ActionItemLine:
    values: dict[str, str] = {}
    for match in _META_RE.finditer(text):
        name = _KEY_NAMES.get(match.group("key").lower())
        if name and name != "title":
            values.setdefault(name, match.group("value").strip())
    title = _META_RE.sub("", text)
    if "owner" not in values and (mention := _MENTION_RE.search(text)):
        values["owner"] = mention.group("name")
        title = _MENTION_RE.sub("", title)
    # Drop the punctuation the metadata leaves behind: "Fix it (, )" / "Fix it - " / "Fix it []".
    title = re.sub(r"\(\s*[,;\s]*\)|\[\s*[,;\s]*\]", "", title)
    title = re.sub(r"[\s,;:—–-]+$", "", title).strip()
    return _item(title or text, values, box, description)


def _cells(line: str) -> list[str]:
    cells = re.split(r"(?<!\\)\|", line.strip().removeprefix("|").removesuffix("|"))
    return [cell.replace("\\|", "|").strip() for cell in cells]


def _table(lines: list[str]) -> list[ActionItemLine]:
    header = [_normal(cell) for cell in _cells(lines[0])]
    columns: dict[int, str] = {}
    for index, name in enumerate(header):
        kind = next((k for k, names in COLUMNS.items() if name in names), None)
        if kind and kind not in columns.values():
            columns[index] = kind
    if "title" not in columns.values():  # no column says what the action is: the first free one does
        free = [i for i in range(len(header)) if i not in columns]
        columns[free[0] if free else 0] = "title"
    items = []
    for line in lines[2:]:
        cells = _cells(line)
        values = {kind: cells[i] for i, kind in columns.items() if i < len(cells) and cells[i]}
        title = values.pop("title", "").strip()
        if title:
            items.append(_item(title, values))
    return items


def _is_separator(line: str) -> bool:
    return bool(re.fullmatch(r"\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*", line))


def parse_action_items(lines: list[str]) -> list[ActionItemLine]:
    """The items of an action-items section's lines: a Markdown table, or a (nested) list."""
    items: list[ActionItemLine] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.strip().startswith("|") and index + 1 < len(lines) and _is_separator(lines[index + 1]):
            end = index + 2
            while end < len(lines) and lines[end].strip().startswith("|"):
                end += 1
            items += _table(lines[index:end])
            index = end
            continue
        match = _LIST_RE.match(line)
        if match and not match.group("indent"):
            end = index + 1
            details = []  # indented lines below an item (text or a nested list) describe it
            while end < len(lines) and lines[end].strip() and lines[end][:1].isspace():
                details.append(lines[end].strip())
                end += 1
            items.append(_list_item(match.group("text"), match.group("box"), "\n".join(details)))
            index = end
            continue
        index += 1
    return items


def extract_action_items(body: str) -> tuple[str, list[ActionItemLine]]:
    """(the body without its action-items sections, their items). A section runs to the next heading of
    the same or a higher level; headings are matched case-insensitively (see ACTION_HEADINGS)."""
    kept: list[str] = []
    section: list[str] | None = None
    level = 0
    items: list[ActionItemLine] = []
    for line in body.splitlines():
        heading = _ANY_HEADING_RE.match(line)
        if heading and section is not None and len(heading.group(1)) <= level:
            items += parse_action_items(section)
            section = None
        if heading and section is None and is_action_heading(heading.group(2)):
            section, level = [], len(heading.group(1))
            continue
        if section is not None:
            section.append(line)
        else:
            kept.append(line)
    if section is not None:
        items += parse_action_items(section)
    return "\n".join(kept).strip(), items


def dump_action_items(items: Iterable[ActionItemLine]) -> str:
    """An "## Action items" table that `extract_action_items` reads back (empty when there are none)."""
    rows = [
        "| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |"
        for cells in (
            (i.title, i.owner, i.due.isoformat() if i.due else "", i.status, i.priority.upper(), i.tracker_url)
            for i in items
        )
    ]
    if not rows:
        return ""
    head = "| Action | Owner | Due | Status | Priority | Ticket |\n| --- | --- | --- | --- | --- | --- |"
    return "## Action items\n\n" + head + "\n" + "\n".join(rows)
