"""Parse scene/movie file names and Plex match requests into evidence for the matcher (pure, never raises)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, replace

from unidecode import unidecode

MAX_INPUT_CHARS = 4096
VIDEO_EXTENSIONS = frozenset(
    {"mp4", "mkv", "avi", "wmv", "mov", "m4v", "ts", "flv", "webm", "mpg", "mpeg", "vob", "iso", "divx", "3gp", "m2ts"}
)
# Tokens that never carry a title: everything from the first one on is release noise.
_DEFINITE_JUNK = re.compile(
    r"^(?:\d{3,4}p|\d{3,4}x\d{3,4}|[xh]\.?26[45]|hevc|avc|av1|xvid|divx|aac\d*|ac3|dts|mp3|mp4|mkv|avi|wmv|m4v|"
    r"web|webdl|webrip|dl|dvdrip|bdrip|hdrip|brrip|bluray|xvx|prt|rq|\d{2,3}fps|fps|uhd|fhd|hdr|sdr|vr180|ktr|"
    r"repack|proper|internal|nfo|xpost)$"
)
# Tokens that look like noise but are real title words often enough to keep for the scorer.
_UNCERTAIN = frozenset({"xxx", "4k", "8k", "hd", "sd", "remastered", "1080", "720", "2160", "480", "ts", "vr"})
_COPY_SUFFIX = re.compile(r"(?:\s*-\s*copy(?:\s*\(\d+\))?|\s*\[copy\]|\s*\(\d{1,2}\)|\s+copy)\s*$", re.IGNORECASE)
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_TPDB_URL = re.compile(r"(?:theporndb\.net|metadataapi\.net)/(scenes|movies|jav)/([A-Za-z0-9_-]+)", re.IGNORECASE)
_TPDB_TAG = re.compile(r"[\[{(](?:tpdb|theporndb)(?:id)?[=:\s-]+([A-Za-z0-9_-]+)[\]})]", re.IGNORECASE)
_BARE_UUID = re.compile(rf"(?<![0-9a-f-]){_UUID}(?![0-9a-f-])", re.IGNORECASE)
_SEP = r"[.\-_ /]"
_DATE_YMD = re.compile(rf"(?<!\d)((?:19|20)\d\d){_SEP}(\d\d?){_SEP}(\d\d?)(?!\d)")
_DATE_DMY = re.compile(rf"(?<!\d)(\d\d?)({_SEP})(\d\d?){_SEP}((?:19|20)\d\d)(?!\d)")
_DATE_COMPACT = re.compile(r"(?<!\d)((?:19|20)\d\d)(\d\d)(\d\d)(?!\d)")
_DATE_SHORT = re.compile(r"(?<![\d])(\d\d)[.\-_ ](\d\d)[.\-_ ](\d\d)(?![\d])")
_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ORDINAL = r"(?:st|nd|rd|th)?"
# `June 24, 2025`, `Jun.24.2025`, `June 24th 2025`; and `24 June 2025`, `24th of June, 2025`.
_DATE_NAMED_MDY = re.compile(
    rf"(?<![a-z])({_MONTH})\.?[\s._-]+(\d{{1,2}}){_ORDINAL},?[\s._-]+((?:19|20)\d\d)(?!\d)", re.IGNORECASE
)
_DATE_NAMED_DMY = re.compile(
    rf"(?<!\d)(\d{{1,2}}){_ORDINAL}[\s._-]+(?:of[\s._-]+)?({_MONTH})\.?,?[\s._-]+((?:19|20)\d\d)(?!\d)", re.IGNORECASE
)
# A file split into parts at the very end of the name: `.part.1`, ` part-2`, `part1`, ` CD1`, `.disc2`, `.part2of3`,
# `2of3`. A spaced ` Part 2` stays a title word (series), like `pt 2` and `act 1`, which are read as series numbers.
_FILE_PART = re.compile(
    r"(?:[\s._-]+(?:(?:part|cd|disc|disk)(?:[._-]+|(?=\d))|(?<=[._])(?:part|cd|disc|disk)[\s._-]*)(\d{1,2})"
    r"(?:[\s._-]*of[\s._-]*\d{1,2})?|[\s._-]+(\d{1,2})[\s._-]*of[\s._-]*\d{1,2})$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<!\d)((?:19[5-9]|20[0-3])\d)(?!\d)")
_TRACKER_TAGS = re.compile(r"\[[^\]]*\b((?:19|20)\d\d)\s*(?:\u0433|g)\.?\s*,[^\]]*\]", re.IGNORECASE)
_BRACKETS = re.compile(r"\[([^\[\]]*)\]|\(([^()]*)\)|\{([^{}]*)\}")
_SEGMENT_SPLIT = re.compile(r"\s+[-\u2013\u2014~|]+\s+|\s*\|\s*")
_WORD = re.compile(r"[a-z0-9]+")
_SERIES = re.compile(
    r"\b(?:part|pt|episode|ep|vol|volume|scene|chapter|chap|act|cd|disc|no|#)[\s._-]*(\d{1,4})\b|#(\d{1,4})\b"
    r"|\bs(\d{1,2})e(\d{1,3})\b|\b(\d{1,2})\s*of\s*\d{1,2}\b"
)
_JOINERS = re.compile(r"\s*(?:,|&|\+|\band\b|\bx\b|\bfeat\.?|\bft\.?)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class MatchInput:
    """The fields of a Plex match request the matcher reads (plex-provider-spec §2.2)."""

    title: str = ""
    year: int | None = None
    filename: str = ""
    grandparent_title: str = ""
    parent_title: str = ""
    date: datetime.date | None = None
    index: int | None = None
    parent_index: int | None = None
    kind: str = "episode"


@dataclass(frozen=True)
class TpdbRef:
    """A TPDB id pinned in a name: kind is "scene", "movie" or None when the id alone does not say."""

    kind: str | None
    id: str


@dataclass(frozen=True)
class ParsedScene:
    """Evidence read from one request; uncertain tokens are kept (uncertain_words) rather than dropped."""

    site_tokens: tuple[str, ...] = ()
    release_date: datetime.date | None = None
    date_alternatives: tuple[datetime.date, ...] = ()
    year: int | None = None
    performers: tuple[str, ...] = ()
    title: str | None = None
    title_words: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    uncertain_words: tuple[str, ...] = ()
    resolution: str | None = None
    series_numbers: tuple[int, ...] = ()
    confidence: float = 0.0
    tpdb_ref: TpdbRef | None = None
    is_two_digit_year: bool = False
    part_number: int | None = None  # a file split into parts: `.part.1`, `CD2`, `2of3` (not a title word)
    site_position: str | None = None  # the token that can only be a site (before a date, a leading [Site]), if any
    context_words: tuple[str, ...] = ()  # words of the folders around the file (a site, a performer): never title
    quoted_title: str | None = None  # `Jane Doe "Lucky Habit"`: a quoted segment is the title
    codes: tuple[str, ...] = ()  # ids in the name: `scenes1195707`, a 4+ digit number, `Site.<model>.<scene>.…`

    @property
    def dates(self) -> tuple[datetime.date, ...]:
        """Every date the name may mean, the preferred reading first."""
        first = (self.release_date,) if self.release_date else ()
        return first + tuple(d for d in self.date_alternatives if d != self.release_date)

    def to_search_query(self, site_key: str | None = None) -> str:
        """Build a TPDB `parse` query the way namer does: `<site> <YYYY-MM-DD> <words>`.

        The site is ``site_key`` (the resolved site's short name) when given, else the token in site position; a
        dateless name's first segment is no site (it may be the title), so its words alone are sent."""
        parts: list[str] = []
        site = site_key or (normalize_key(self.site_position) if self.site_position else "")
        if site:
            parts.append(site)
        if self.release_date:
            parts.append(self.release_date.isoformat())
        elif self.year:
            parts.append(str(self.year))
        parts.extend(self.words)
        return " ".join(p for p in parts if p)


def fold(text: str) -> str:
    """Accent-fold and lower-case (`Édith` → `edith`)."""
    return unidecode(text).lower()


def normalize_key(text: str) -> str:
    """Site/title key: folded, lower-case, alphanumerics only (`Tonight's Girlfriend` → `tonightsgirlfriend`)."""
    return re.sub(r"[^a-z0-9]", "", fold(text))


def words_of(text: str) -> list[str]:
    """Folded alphanumeric words, apostrophes joined (`Rosa's` → `rosas`)."""
    return _WORD.findall(re.sub("['\u2019`\u00b4]", "", fold(text)))


def _sanitize(text: str) -> str:
    text = text[:MAX_INPUT_CHARS] if isinstance(text, str) else ""
    return "".join(ch if ch.isprintable() else " " for ch in text)


def find_ref(text: str) -> TpdbRef | None:
    if m := _TPDB_URL.search(text):
        kind = {"scenes": "scene", "movies": "movie", "jav": "scene"}[m.group(1).lower()]
        return TpdbRef(kind=kind, id=m.group(2))
    if m := _TPDB_TAG.search(text):
        return TpdbRef(kind=None, id=m.group(1))
    if m := _BARE_UUID.search(text):
        return TpdbRef(kind=None, id=m.group(0).lower())
    return None


def tpdb_ref_id(text: str) -> str:
    """The id inside a TPDB URL, ``[tpdbid=…]`` tag or bare uuid; otherwise the stripped text (slug or number)."""
    ref = find_ref(text)
    return ref.id if ref else text.strip().rstrip("/").rsplit("/", 1)[-1]


def _safe_date(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


@dataclass(frozen=True)
class _DateHit:
    start: int
    end: int
    primary: datetime.date
    alternatives: tuple[datetime.date, ...]
    is_two_digit_year: bool = False


def _dmy(m: re.Match[str]) -> _DateHit | None:
    a, sep, b, year = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
    day_first, month_first = _safe_date(year, b, a), _safe_date(year, a, b)
    # A dot means the European DD.MM.YYYY; a dash or slash the US MM-DD-YYYY. Both stay as readings.
    order = [day_first, month_first] if sep in "._ " else [month_first, day_first]
    found = [d for d in order if d]
    if not found:
        return None
    return _DateHit(m.start(), m.end(), found[0], tuple(found[1:]))


def _find_date(text: str) -> _DateHit | None:
    hits: list[_DateHit] = []
    for m in _DATE_YMD.finditer(text):
        y, a, b = int(m.group(1)), int(m.group(2)), int(m.group(3))
        readings = [d for d in (_safe_date(y, a, b), _safe_date(y, b, a)) if d]
        if readings:
            hits.append(_DateHit(m.start(), m.end(), readings[0], tuple(readings[1:2])))
    for m in _DATE_DMY.finditer(text):
        if hit := _dmy(m):
            hits.append(hit)
    for m in _DATE_COMPACT.finditer(text):
        if d := _safe_date(int(m.group(1)), int(m.group(2)), int(m.group(3))):
            hits.append(_DateHit(m.start(), m.end(), d, ()))
    for m in _DATE_NAMED_MDY.finditer(text):
        if d := _safe_date(int(m.group(3)), _MONTHS[m.group(1).lower()], int(m.group(2))):
            hits.append(_DateHit(m.start(), m.end(), d, ()))
    for m in _DATE_NAMED_DMY.finditer(text):
        if d := _safe_date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1))):
            hits.append(_DateHit(m.start(), m.end(), d, ()))
    if hits:
        return min(hits, key=lambda h: h.start)
    for m in _DATE_SHORT.finditer(text):
        if hit := _short_date(m):
            return hit
    return None


def _two_digit_year(yy: int) -> int:
    return 2000 + yy if yy <= datetime.date.today().year % 100 + 1 else 1900 + yy


def _short_date(m: re.Match[str]) -> _DateHit | None:
    """`24.06.25`: the scene-release YY.MM.DD first, then DD.MM.YY and MM.DD.YY when those are dates too."""
    a, b, c = int(m.group(1)), int(m.group(2)), int(m.group(3))
    readings = [
        _safe_date(_two_digit_year(a), b, c),
        _safe_date(_two_digit_year(c), b, a),
        _safe_date(_two_digit_year(c), a, b),
    ]
    found = list(dict.fromkeys(d for d in readings if d))
    if not found:
        return None
    return _DateHit(m.start(), m.end(), found[0], tuple(found[1:]), is_two_digit_year=True)


def _strip_extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return stem if dot and ext.lower() in VIDEO_EXTENSIONS else name


def _strip_file_part(stem: str) -> tuple[str, int | None]:
    """Take a trailing file-part marker off (`Title.part.1`, `Title CD2`, `Title.part2of3`): (stem, part number)."""
    m = _FILE_PART.search(stem)
    if not m or not words_of(stem[: m.start()]):
        return stem, None
    return stem[: m.start()], int(m.group(1) or m.group(2))


def _strip_copy_suffix(stem: str) -> str:
    for _ in range(4):
        cleaned = _COPY_SUFFIX.sub("", stem)
        if cleaned == stem:
            break
        stem = cleaned
    return stem


def _is_junk_bracket(content: str) -> bool:
    ws = words_of(content)
    return not ws or all(_DEFINITE_JUNK.match(w) or w in _UNCERTAIN or re.fullmatch(r"\d+k?", w) for w in ws)


def _humanize(text: str) -> str:
    """Dots and underscores to spaces unless the text already uses spaces as separators."""
    if " " in text.strip() and text.count(" ") >= text.count("."):
        return text.replace("_", " ")
    return re.sub(r"[._]+", " ", text)


def _split_performers(segment: str) -> tuple[str, ...]:
    names = [n.strip() for n in _JOINERS.split(segment) if n and n.strip()]
    return tuple(n for n in names if 1 <= len(words_of(n)) <= 4)


def _cut_junk(ws: list[str]) -> tuple[list[str], list[str], str | None]:
    """Split words at the first definite junk token: (kept, uncertain, resolution)."""
    kept: list[str] = []
    uncertain: list[str] = []
    resolution = None
    for w in ws:
        if _DEFINITE_JUNK.match(w):
            if re.fullmatch(r"\d{3,4}p", w):
                resolution = w
            break
        if w in _UNCERTAIN or _YEAR.fullmatch(w):
            uncertain.append(w)
            continue
        kept.append(w)
    return kept, uncertain, resolution


def parse(text: str) -> ParsedScene:
    """Parse one file or folder name; never raises, whatever the input."""
    try:
        return _parse(_sanitize(text))
    except Exception:  # the contract is "never raise": a failed parse is simply no evidence
        return ParsedScene()


def _parse(raw: str) -> ParsedScene:
    ref = find_ref(raw)
    name = (_path_parts(raw.strip()) or [""])[-1].strip()
    stem, part_number = _strip_file_part(_strip_copy_suffix(_strip_extension(name)).strip())
    stem = _strip_copy_suffix(stem).strip()
    tracker_year = None
    if m := _TRACKER_TAGS.search(stem):
        tracker_year = int(m.group(1))
        stem = stem[: m.start()] + " " + stem[m.end() :]
    date_hit = _find_date(stem)
    site_tokens: list[str] = []
    site_position: str | None = None
    work = stem
    if date_hit:
        work = stem[: date_hit.start] + " | " + stem[date_hit.end :]
    # Leading [Site] / (Site), then other non-junk brackets; brackets become segment breaks.
    lead = re.match(r"\s*[\[(]([^\])]+)[\])]", work)
    if lead and not _is_junk_bracket(lead.group(1)):
        site_tokens.append(re.split(r"\s+-\s+", lead.group(1))[0].strip())
        site_position = site_tokens[0]
        work = " | " + work[lead.end() :]
    later_brackets: list[str] = []

    def _bracket(m: re.Match[str]) -> str:
        content = next(g for g in m.groups() if g is not None)
        if not _is_junk_bracket(content) and not _YEAR.fullmatch(content.strip()):
            later_brackets.append(content)
        return " | "

    years = [int(y) for y in _YEAR.findall(work)]
    work = _BRACKETS.sub(_bracket, work)
    human = _humanize(work)
    segments = [s.strip(" -_.\u2013") for s in _SEGMENT_SPLIT.split(human)]
    segments = [s for s in segments if words_of(s)]
    starts_with_date = date_hit is not None and not words_of(stem[: date_hit.start])
    if segments and not lead and not starts_with_date:
        site_tokens.append(segments[0])
        if date_hit and words_of(stem[: date_hit.start]) == words_of(segments[0]):
            # Whatever precedes the date is the site; without a date the first segment may be a performer or title.
            head = segments[0].split()
            first_id = next((i for i, w in enumerate(head) if i and w.isdigit() and len(w) >= 3), None)
            segments = segments[1:]
            if first_id is not None:
                # `Site.<model id>.<scene id>.Performer.YY.MM.DD…`: the site ends at the first id.
                site_tokens[-1] = " ".join(head[:first_id])
                segments.insert(0, " ".join(head[first_id:]))
            site_position = site_tokens[-1]
    for content in later_brackets:
        head = re.split(r"\s+-\s+", content)[0].strip()
        if head:
            site_tokens.append(head)
    body_words: list[str] = []
    kept_segments: list[list[str]] = []
    raw_segments: list[str] = []
    uncertain: list[str] = []
    resolution = None
    for seg in segments:
        kept, unc, res = _cut_junk(words_of(seg))
        uncertain.extend(unc)
        resolution = resolution or res
        if kept:
            kept_segments.append(kept)
            raw_segments.append(seg)
            body_words.extend(kept)
        if res or (len(kept) < len(words_of(seg)) - len(unc)):
            break
    performers: tuple[str, ...] = ()
    title: str | None = None
    text_segments = [" ".join(s) for s in kept_segments]
    if len(text_segments) >= 2:
        performers = tuple(" ".join(words_of(n)) for n in _split_performers(raw_segments[0]))
        title = " ".join(text_segments[1:])
    elif text_segments:
        title = text_segments[0]
    series = _series_numbers(fold(" ".join(raw_segments)))
    codes = _codes(stem, date_hit)
    quoted = re.search(r"[\"\u201c\u201d]([^\"\u201c\u201d]{2,200})[\"\u201c\u201d]", stem)
    year = date_hit.primary.year if date_hit else (tracker_year or (years[0] if years else None))
    confidence = 0.2 * bool(site_tokens) + 0.4 * bool(date_hit) + 0.2 * bool(body_words) + 0.2 * bool(year)
    return ParsedScene(
        site_tokens=tuple(dict.fromkeys(t for t in site_tokens if words_of(t))),
        release_date=date_hit.primary if date_hit else None,
        date_alternatives=date_hit.alternatives if date_hit else (),
        year=year,
        performers=performers,
        title=title,
        title_words=tuple(w for s in kept_segments[1:] for w in s) if len(kept_segments) >= 2 else tuple(body_words),
        words=tuple(body_words),
        uncertain_words=tuple(uncertain),
        resolution=resolution,
        series_numbers=series,
        confidence=round(min(confidence, 1.0), 2),
        tpdb_ref=ref,
        is_two_digit_year=bool(date_hit and date_hit.is_two_digit_year),
        part_number=part_number,
        site_position=site_position,
        codes=codes,
        quoted_title=quoted.group(1).strip() if quoted and words_of(quoted.group(1)) else None,
    )


_SCENE_ID = re.compile(r"(?<![a-z0-9])scenes?[\s._-]?(\d{3,9})(?!\d)", re.IGNORECASE)
_ID_NUMBER = re.compile(r"(?<![\d])(\d{3,9})(?![\d])")


def _codes(stem: str, date_hit: _DateHit | None) -> tuple[str, ...]:
    """Numbers that may be ids: `scenes1195707` (a TPDB _id) and every 3-9 digit number outside the date that is not a
    resolution, codec or year; the matcher checks them against what TPDB stores for each candidate."""
    text = stem if date_hit is None else stem[: date_hit.start] + " " + stem[date_hit.end :]
    found = [m.group(1) for m in _SCENE_ID.finditer(text)]
    for m in _ID_NUMBER.finditer(_SCENE_ID.sub(" ", text)):
        number = m.group(1)
        tail = text[m.end() : m.end() + 1].lower()
        if tail in ("p", "x", "k") or _YEAR.fullmatch(number) or number in ("264", "265", "480", "720", "1080", "2160"):
            continue
        found.append(number)
    return tuple(dict.fromkeys(found))


def series_numbers(text: str) -> tuple[int, ...]:
    """Series numbers in a title (`Part 3`, `#2`, `S2E3`, `Vol. 4`), in order."""
    return _series_numbers(fold(text))


def _series_numbers(text: str) -> tuple[int, ...]:
    found: list[int] = []
    for m in _SERIES.finditer(text):
        found.extend(int(g) for g in m.groups() if g is not None)
    return tuple(found)


def _path_parts(filename: str) -> list[str]:
    """Folders and file name; a slash inside brackets (`[Oculus Rift / Vive]`) belongs to the name, not the path."""
    parts: list[str] = []
    for part in re.split(r"[\\/]+", filename):
        if parts and parts[-1].count("[") > parts[-1].count("]"):
            parts[-1] = f"{parts[-1]}/{part}"
        else:
            parts.append(part)
    return [p for p in parts if p.strip()]


def parse_request(inp: MatchInput) -> ParsedScene:
    """Merge the evidence of a whole request: basename, its folders, grandparentTitle, title, year and date."""
    try:
        return _parse_request(inp)
    except Exception:  # same contract as parse()
        return ParsedScene()


# Folders that say nothing about the item: library roots and catch-alls (`/data/media/adult/…`, `Misc/`).
_GENERIC_FOLDERS = frozenset(
    {
        "data",
        "media",
        "adult",
        "adults",
        "xxx",
        "porn",
        "nsfw",
        "videos",
        "video",
        "movies",
        "movie",
        "scenes",
        "downloads",
        "download",
        "complete",
        "completed",
        "library",
        "plex",
        "mnt",
        "share",
        "shares",
        "volume1",
        "home",
        "users",
        "misc",
        "other",
        "others",
        "unsorted",
        "new",
        "tmp",
        "temp",
        "incoming",
        "tv",
        "clips",
    }
)
# File names that carry nothing: `video`, `1`, a hash, a scene code (`burn-809`), a few random letters.
_OBFUSCATED_WORDS = frozenset({"video", "movie", "clip", "file", "scene", "sample", "output", "full", "index", "main"})
_HEXISH = re.compile(r"[0-9a-f]{6,}|\d+|[a-z]{2,6}[-_]?\d{2,7}", re.IGNORECASE)


def is_obfuscated(stem: str) -> bool:
    """True for a file name that names nothing: `video`, `1`, `531a0b6b`, `burn-809`, `qwerty` (random letters)."""
    cleaned, _ = _strip_file_part(_strip_copy_suffix(_strip_extension(stem)).strip())
    kept, _, _ = _cut_junk(words_of(cleaned))
    if not kept:
        return True
    joined = "".join(kept)
    if len(kept) <= 2 and (all(w in _OBFUSCATED_WORDS or w.isdigit() for w in kept) or _HEXISH.fullmatch(joined)):
        return True
    return len(kept) == 1 and len(joined) <= 8 and not re.search(r"[aeiouy]{1}[^aeiouy]*[aeiouy]", joined)


def _is_generic_folder(folder: str) -> bool:
    ws = words_of(folder)
    return not ws or all(w in _GENERIC_FOLDERS for w in ws)


def _parse_request(inp: MatchInput) -> ParsedScene:
    parts = _path_parts(_sanitize(inp.filename))
    base = parse(parts[-1]) if parts else parse(inp.title)
    folders = [f for f in parts[-4:-1] if not _is_generic_folder(f)]
    base_key = normalize_key(_strip_copy_suffix(_strip_extension(parts[-1]))) if parts else ""
    merged = base
    context: list[str] = []  # folders that are not release names: a site, a performer, a year
    release_folder = None
    for folder in reversed(folders):
        folder_key = normalize_key(folder)
        if folder_key and base_key and (folder_key in base_key or base_key in folder_key):
            release_folder = release_folder or folder  # a release folder repeating the file name
            continue
        parsed_folder = parse(folder)
        if release_folder is None and parsed_folder.release_date and parsed_folder.site_position:
            release_folder = folder  # `Site.YY.MM.DD.Performer.Title.XXX-GRP/…`
            continue
        context.append(folder)
    if release_folder is not None and parts and not base.release_date:
        release = parse(release_folder)
        if is_obfuscated(parts[-1]) or release.release_date:
            # The release name is the evidence; an obfuscated inner name is never a site or a title.
            merged = replace(release, part_number=base.part_number or release.part_number)
    elif parts and is_obfuscated(parts[-1]) and context:
        # `Site/Performer/1.mp4`: the nearest folder names the item.
        merged = replace(parse(context[0]), part_number=base.part_number)
        context = context[1:]
    folder_tokens: list[str] = []
    hints: list[str] = []
    for folder in reversed(context):  # the top folder first: `Site/Performer/…`
        parsed_folder = parse(folder)
        if parsed_folder.release_date and not merged.release_date:
            merged = _merge_missing(merged, parsed_folder)
        if re.fullmatch(r"\s*((?:19|20)\d\d)\s*", folder):
            merged = replace(merged, year=merged.year or int(folder.strip()))
            continue
        folder_tokens.append(parsed_folder.site_tokens[0] if parsed_folder.site_tokens else folder)
        hints.extend(words_of(folder))
    extra_tokens: list[str] = []
    for text in (inp.grandparent_title, inp.parent_title):
        if text and text.strip() and not _is_generic_folder(text):
            extra_tokens.append(text.strip())
    if not parts and inp.title:
        extra_tokens.append(inp.title)
    if merged.release_date is None and inp.date is not None:
        merged = replace(merged, release_date=inp.date, year=inp.date.year)
    if merged.year is None and inp.year:
        merged = replace(merged, year=inp.year)
    ref = merged.tpdb_ref or find_ref(_sanitize(inp.title))
    if merged.site_position:
        # The name says its site: that comes first, then the folders, then the rest of the name.
        own = (merged.site_position, *folder_tokens, *merged.site_tokens)
    else:
        # A dateless name's first segment may be a performer or the title: the folders name the site first.
        own = (*folder_tokens, *merged.site_tokens)
    tokens = tuple(dict.fromkeys((*own, *extra_tokens)))
    return replace(merged, site_tokens=tokens, tpdb_ref=ref, context_words=tuple(dict.fromkeys(hints)))


def _merge_missing(into: ParsedScene, other: ParsedScene) -> ParsedScene:
    return replace(
        into,
        release_date=other.release_date,
        date_alternatives=other.date_alternatives,
        year=into.year or other.year,
        words=into.words or other.words,
        title_words=into.title_words or other.title_words,
        is_two_digit_year=other.is_two_digit_year,
    )
