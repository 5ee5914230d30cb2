"""Small Python diffs with seeded, labelled defects, plus clean ones: a review dataset.

`generate_diffs(seed, n)` draws `n` changes to small backend service modules. Each diff adds one
or two functions written from templates with varied names, URLs, tables, loop shapes and
argument lists; each function is either a defect of one kind (KINDS) or a clean twin of one, so
clean code that looks suspicious (a `%s` placeholder with parameters, a `while` loop with a page
cap, `shell=True` on a fixed command) is in the set too. The labels are the kinds the generator
inserted, never guessed afterwards; any seed gives a fresh set, so a grader can hold one back.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from course.errors import CourseError
from course.review.diffs import Diff, make_diff
from course.review.kinds import KINDS

NOUNS = (
    "invoice", "order", "customer", "shipment", "payment", "ticket", "account", "report",
    "refund", "subscription", "booking", "device", "upload", "contract", "voucher", "parcel",
)  # fmt: skip
SERVICES = (
    "billing", "crm", "inventory", "payments", "search", "ledger", "shipping", "catalog",
    "identity", "notifications", "warehouse", "pricing",
)  # fmt: skip
VERBS = ("fetch", "load", "get", "pull", "read", "sync", "collect", "download")
SECRET_WORDS = (
    "API_TOKEN",
    "DB_PASSWORD",
    "SERVICE_SECRET",
    "API_KEY",
    "ACCESS_KEY",
    "WEBHOOK_SECRET",
    "SIGNING_KEY",
)

CLEAN_SHARE = 0.3  # share of diffs with no defect
TWO_SHARE = 0.25  # share of defective diffs that add two functions


@dataclass(frozen=True)
class Snippet:
    """One added function: its code, the imports it needs, and the defect it carries (or None)."""

    code: str
    imports: frozenset[str]
    kind: str | None


def _token(rng: random.Random, length: int) -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(rng.choice(alphabet) for _ in range(length))


def _names(rng: random.Random) -> dict[str, str]:
    noun = rng.choice(NOUNS)
    service = rng.choice(SERVICES)
    return {
        "noun": noun,
        "nouns": noun + "s",
        "Noun": noun.capitalize(),
        "svc": service,
        "BASE": f"{service.upper()}_URL",
        "verb": rng.choice(VERBS),
        "arg": f"{noun}_id",
        "table": f"{noun}s",
        "col": rng.choice(("status", "email", "region", "owner", "created_at", "reference")),
        "tries": str(rng.choice((3, 4, 5, 6))),
        "wait": rng.choice(("0.5", "1", "2")),
        "pages": str(rng.choice((50, 100, 200, 500))),
        "secs": rng.choice(("5", "10", "(3.05, 27)", "15")),
        "result": rng.choice(("data", "body", "payload", "reply")),
        "items": rng.choice(("items", "rows", "results", "records")),
        "cursorkey": rng.choice(("next", "next_cursor", "next_page_token", "cursor")),
    }


_PLACEHOLDER = re.compile(r"\$\{(\w+)\}|\$([A-Za-z]+)")


def _fill(template: str, names: dict[str, str]) -> str:
    """`template` with `$name` / `${name}` replaced; a name ends at the first non-letter, so
    `$verb_$noun` reads as verb, "_", noun."""
    text = _PLACEHOLDER.sub(lambda m: names[m.group(1) or m.group(2)], template)
    return text.strip("\n") + "\n"


# --- templates: one list per kind, (defect variants, clean variants) -----------------------
# Each entry is (template, imports). Templates are function definitions with $name or ${name}
# placeholders (_fill); they must be valid Python and carry no other defect than their kind's.

NO_TIMEOUT = (
    [
        (
            """
def $verb_$noun(${arg}: str) -> dict:
    response = requests.get(f"{$BASE}/$nouns/{$arg}")
    response.raise_for_status()
    return response.json()
""",
            {"requests"},
        ),
        (
            """
def create_$noun($result: dict, token: str) -> str:
    headers = {"Authorization": f"Bearer {token}"}
    response = requests.post(f"{$BASE}/$nouns", json=$result, headers=headers)
    response.raise_for_status()
    return response.json()["id"]
""",
            {"requests"},
        ),
        (
            """
def $verb_$nouns(session: requests.Session, $col: str) -> list[dict]:
    response = session.get(f"{$BASE}/$nouns", params={"$col": $col})
    response.raise_for_status()
    return response.json()["$items"]
""",
            {"requests"},
        ),
        (
            """
def $verb_$noun_raw(${arg}: str) -> bytes:
    with urllib.request.urlopen(f"{$BASE}/$nouns/{$arg}.json") as reply:
        return reply.read()
""",
            {"urllib.request"},
        ),
        (
            """
class ${Noun}Client:
    def __init__(self, token: str) -> None:
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def $verb(self, ${arg}: str) -> dict:
        response = self.session.get(f"{$BASE}/$nouns/{$arg}")
        response.raise_for_status()
        return response.json()
""",
            {"requests"},
        ),
    ],
    [
        (
            """
def $verb_$noun(${arg}: str) -> dict:
    response = requests.get(f"{$BASE}/$nouns/{$arg}", timeout=$secs)
    response.raise_for_status()
    return response.json()
""",
            {"requests"},
        ),
        (
            """
def $verb_$nouns(session: requests.Session, $col: str) -> list[dict]:
    response = session.get(f"{$BASE}/$nouns", params={"$col": $col}, timeout=$secs)
    response.raise_for_status()
    return response.json()["$items"]
""",
            {"requests"},
        ),
        (
            """
def $verb_$noun(${arg}: str) -> dict:
    with httpx.Client(base_url=$BASE, timeout=$secs) as client:
        response = client.get(f"/$nouns/{$arg}")
    response.raise_for_status()
    return response.json()
""",
            {"httpx"},
        ),
        (
            """
def $verb_$noun_raw(${arg}: str) -> bytes:
    with urllib.request.urlopen(f"{$BASE}/$nouns/{$arg}.json", timeout=$secs) as reply:
        return reply.read()
""",
            {"urllib.request"},
        ),
    ],
)

SQL_FORMATTING = (
    [
        (
            """
def find_$nouns_by_$col(conn: sqlite3.Connection, $col: str) -> list[tuple]:
    cursor = conn.execute(f"SELECT id, $col FROM $table WHERE $col = '{$col}'")
    return cursor.fetchall()
""",
            {"sqlite3"},
        ),
        (
            """
def delete_$noun(conn: sqlite3.Connection, ${arg}: str) -> None:
    conn.execute("DELETE FROM $table WHERE id = '%s'" % $arg)
    conn.commit()
""",
            {"sqlite3"},
        ),
        (
            """
def count_$nouns(cursor, $col: str, since: str) -> int:
    query = "SELECT COUNT(*) FROM $table WHERE $col = '" + $col + "'"
    query += " AND created_at > '" + since + "'"
    cursor.execute(query)
    return cursor.fetchone()[0]
""",
            set(),
        ),
        (
            """
def update_$noun_$col(cursor, ${arg}: int, value: str) -> None:
    sql = "UPDATE $table SET $col = '{}' WHERE id = {}".format(value, $arg)
    cursor.execute(sql)
""",
            set(),
        ),
    ],
    [
        (
            """
def find_$nouns_by_$col(conn: sqlite3.Connection, $col: str) -> list[tuple]:
    cursor = conn.execute("SELECT id, $col FROM $table WHERE $col = ?", ($col,))
    return cursor.fetchall()
""",
            {"sqlite3"},
        ),
        (
            """
def count_$nouns(cursor, $col: str, since: str) -> int:
    cursor.execute(
        "SELECT COUNT(*) FROM $table WHERE $col = %s AND created_at > %s", ($col, since)
    )
    return cursor.fetchone()[0]
""",
            set(),
        ),
        (
            """
$Noun_COLUMNS = ("id", "$col", "created_at")


def list_$nouns(conn: sqlite3.Connection, owner: str) -> list[tuple]:
    columns = ", ".join($Noun_COLUMNS)
    query = f"SELECT {columns} FROM $table WHERE owner = ?"
    return conn.execute(query, (owner,)).fetchall()
""",
            {"sqlite3"},
        ),
    ],
)

BARE_EXCEPT = (
    [
        (
            """
def parse_$noun_total($result: dict) -> float:
    try:
        return float($result["total"])
    except:
        logger.warning("bad $noun total: %r", $result)
        return 0.0
""",
            set(),
        ),
        (
            """
def close_$noun(${arg}: str, store) -> bool:
    try:
        store.close($arg)
    except:
        return False
    return True
""",
            set(),
        ),
        (
            """
def load_$noun_settings(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except BaseException:
        return {}
""",
            {"json"},
        ),
    ],
    [
        (
            """
def parse_$noun_total($result: dict) -> float:
    try:
        return float($result["total"])
    except (KeyError, TypeError, ValueError):
        logger.warning("bad $noun total: %r", $result)
        return 0.0
""",
            set(),
        ),
        (
            """
def close_$noun(${arg}: str, store) -> bool:
    try:
        store.close($arg)
    except Exception:
        logger.exception("could not close $noun %s", $arg)
        raise
    return True
""",
            set(),
        ),
        (
            """
def load_$noun_settings(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return {}
""",
            {"json"},
        ),
    ],
)

MUTABLE_DEFAULT = (
    [
        (
            """
def tag_$noun(${arg}: str, tags=[]) -> list:
    tags.append($arg)
    return tags
""",
            set(),
        ),
        (
            """
def build_$noun_query($col: str, filters: dict = {}) -> dict:
    filters["$col"] = $col
    return filters
""",
            set(),
        ),
        (
            """
def remember_$noun(${arg}: str, seen: set = set()) -> bool:
    if $arg in seen:
        return False
    seen.add($arg)
    return True
""",
            set(),
        ),
    ],
    [
        (
            """
def tag_$noun(${arg}: str, tags: list | None = None) -> list:
    tags = [] if tags is None else tags
    tags.append($arg)
    return tags
""",
            set(),
        ),
        (
            """
def build_$noun_query($col: str, filters: tuple = ()) -> dict:
    query = dict(filters)
    query["$col"] = $col
    return query
""",
            set(),
        ),
        (
            """
def remember_$noun(${arg}: str, seen: frozenset = frozenset()) -> frozenset:
    return seen | {$arg}
""",
            set(),
        ),
    ],
)

HARDCODED_SECRET = (
    [
        (
            """
$secretname = "$secretvalue"


def $svc_headers() -> dict:
    return {"Authorization": f"Bearer {$secretname}"}
""",
            set(),
        ),
        (
            """
def $svc_headers() -> dict:
    return {"Authorization": "Bearer $secretvalue", "Accept": "application/json"}
""",
            set(),
        ),
        (
            """
def connect_$svc(host: str, user: str = "$svc"):
    return psycopg.connect(host=host, user=user, password="$secretvalue")
""",
            {"psycopg"},
        ),
    ],
    [
        (
            """
$secretname = os.environ["$secretname"]


def $svc_headers() -> dict:
    return {"Authorization": f"Bearer {$secretname}"}
""",
            {"os"},
        ),
        (
            """
${SVC}_TOKEN_URL = "https://$svc.example.com/oauth/token"


def $svc_headers(token: str) -> dict:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}
""",
            set(),
        ),
        (
            """
def connect_$svc(host: str, user: str = "$svc"):
    return psycopg.connect(host=host, user=user, password=os.getenv("${SVC}_DB_PASSWORD"))
""",
            {"os", "psycopg"},
        ),
    ],
)

TLS_UNVERIFIED = (
    [
        (
            """
def $verb_$noun_pdf(${arg}: str) -> bytes:
    response = requests.get(f"{$BASE}/$nouns/{$arg}.pdf", timeout=$secs, verify=False)
    response.raise_for_status()
    return response.content
""",
            {"requests"},
        ),
        (
            """
def $svc_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
""",
            {"ssl"},
        ),
        (
            """
def $svc_client() -> httpx.Client:
    return httpx.Client(base_url=$BASE, timeout=$secs, verify=False)
""",
            {"httpx"},
        ),
    ],
    [
        (
            """
def $verb_$noun_pdf(${arg}: str) -> bytes:
    response = requests.get(f"{$BASE}/$nouns/{$arg}.pdf", timeout=$secs, verify=CA_BUNDLE)
    response.raise_for_status()
    return response.content
""",
            {"requests"},
        ),
        (
            """
def $svc_context() -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=CA_BUNDLE)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context
""",
            {"ssl"},
        ),
        (
            """
def $svc_client() -> httpx.Client:
    return httpx.Client(base_url=$BASE, timeout=$secs, verify=True)
""",
            {"httpx"},
        ),
    ],
)

SHELL_INJECTION = (
    [
        (
            """
def archive_$nouns(folder: str, name: str) -> None:
    subprocess.run(f"tar czf /backups/{name}.tgz {folder}", shell=True, check=True)
""",
            {"subprocess"},
        ),
        (
            """
def purge_$noun_files(${arg}: str) -> None:
    os.system("rm -rf /var/cache/$nouns/" + $arg)
""",
            {"os"},
        ),
        (
            """
def grep_$noun_log(pattern: str, path: str) -> str:
    return subprocess.check_output("grep -i '%s' %s" % (pattern, path), shell=True, text=True)
""",
            {"subprocess"},
        ),
    ],
    [
        (
            """
def archive_$nouns(folder: str, name: str) -> None:
    subprocess.run(["tar", "czf", f"/backups/{name}.tgz", folder], check=True)
""",
            {"subprocess"},
        ),
        (
            """
def purge_$noun_files(${arg}: str) -> None:
    shutil.rmtree(Path("/var/cache/$nouns") / Path($arg).name, ignore_errors=True)
""",
            {"shutil", "pathlib.Path"},
        ),
        (
            """
def disk_usage_report() -> str:
    return subprocess.check_output("df -h | sort -k5 -r", shell=True, text=True)
""",
            {"subprocess"},
        ),
    ],
)

RETRY_NO_BACKOFF = (
    [
        (
            """
def $verb_$noun_with_retry(${arg}: str) -> dict:
    for attempt in range($tries):
        try:
            response = requests.get(f"{$BASE}/$nouns/{$arg}", timeout=$secs)
            response.raise_for_status()
            return response.json()
        except requests.RequestException:
            logger.warning("attempt %d failed for %s", attempt + 1, $arg)
    raise RuntimeError(f"$noun {$arg} unavailable")
""",
            {"requests"},
        ),
        (
            """
def send_$noun($result: dict, post) -> None:
    attempts = 0
    while True:
        try:
            post("/$nouns", $result)
            return
        except ConnectionError:
            attempts += 1
            if attempts >= $tries:
                raise
""",
            set(),
        ),
        (
            """
def $verb_$noun_retrying(${arg}: str, call) -> dict:
    last_error = None
    for _ in range($tries):
        try:
            return call($arg)
        except TimeoutError as error:
            last_error = error
            time.sleep($wait)
    raise RuntimeError("$svc is down") from last_error
""",
            {"time"},
        ),
    ],
    [
        (
            """
def $verb_$noun_with_retry(${arg}: str) -> dict:
    for attempt in range($tries):
        try:
            response = requests.get(f"{$BASE}/$nouns/{$arg}", timeout=$secs)
            response.raise_for_status()
            return response.json()
        except requests.RequestException:
            logger.warning("attempt %d failed for %s", attempt + 1, $arg)
            time.sleep($wait * 2**attempt + random.random())
    raise RuntimeError(f"$noun {$arg} unavailable")
""",
            {"requests", "time", "random"},
        ),
        (
            """
def send_$noun($result: dict, post) -> None:
    delay = $wait
    attempts = 0
    while True:
        try:
            post("/$nouns", $result)
            return
        except ConnectionError:
            attempts += 1
            if attempts >= $tries:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 30)
""",
            {"time"},
        ),
        (
            """
def $verb_$noun_once(${arg}: str, call) -> dict:
    for page in range($tries):
        logger.info("reading part %d of %s", page, $arg)
    return call($arg)
""",
            set(),
        ),
    ],
)

UNBOUNDED_PAGINATION = (
    [
        (
            """
def all_$nouns(session: requests.Session) -> list[dict]:
    $items = []
    cursor = None
    while True:
        params = {"cursor": cursor} if cursor else {}
        page = session.get(f"{$BASE}/$nouns", params=params, timeout=$secs).json()
        $items.extend(page["$items"])
        cursor = page.get("$cursorkey")
        if not cursor:
            break
    return $items
""",
            {"requests"},
        ),
        (
            """
def $verb_every_$noun(client) -> list[dict]:
    $items, url = [], f"{$BASE}/$nouns"
    while url:
        $result = client.get(url, timeout=$secs).json()
        $items += $result["$items"]
        url = $result.get("$cursorkey")
    return $items
""",
            set(),
        ),
        (
            """
def export_$nouns(api) -> list[dict]:
    page_number, $items = 1, []
    while True:
        batch = api.list_$nouns(page=page_number)
        if not batch:
            return $items
        $items.extend(batch)
        page_number += 1
""",
            set(),
        ),
    ],
    [
        (
            """
def all_$nouns(session: requests.Session, max_pages: int = $pages) -> list[dict]:
    $items = []
    cursor = None
    for _ in range(max_pages):
        params = {"cursor": cursor} if cursor else {}
        page = session.get(f"{$BASE}/$nouns", params=params, timeout=$secs).json()
        $items.extend(page["$items"])
        cursor = page.get("$cursorkey")
        if not cursor:
            break
    return $items
""",
            {"requests"},
        ),
        (
            """
def $verb_every_$noun(client, max_pages: int = $pages) -> list[dict]:
    $items, url, pages = [], f"{$BASE}/$nouns", 0
    while url and pages < max_pages:
        $result = client.get(url, timeout=$secs).json()
        $items += $result["$items"]
        url = $result.get("$cursorkey")
        pages += 1
    return $items
""",
            set(),
        ),
        (
            """
def export_$nouns(api) -> list[dict]:
    page_number, $items = 1, []
    while True:
        batch = api.list_$nouns(page=page_number)
        if not batch or page_number >= $pages:
            return $items
        $items.extend(batch)
        page_number += 1
""",
            set(),
        ),
    ],
)

TEMPLATES: dict[str, tuple[list, list]] = {
    "no_timeout": NO_TIMEOUT,
    "sql_formatting": SQL_FORMATTING,
    "bare_except": BARE_EXCEPT,
    "mutable_default": MUTABLE_DEFAULT,
    "hardcoded_secret": HARDCODED_SECRET,
    "tls_unverified": TLS_UNVERIFIED,
    "shell_injection": SHELL_INJECTION,
    "retry_no_backoff": RETRY_NO_BACKOFF,
    "unbounded_pagination": UNBOUNDED_PAGINATION,
}
assert set(TEMPLATES) == set(KINDS)

_EXISTING = (
    """
def $noun_url(${arg}: str) -> str:
    return f"{$BASE}/$nouns/{$arg}"
""",
    """
def format_$noun($result: dict) -> str:
    return f"$Noun {$result['id']}: {$result.get('$col', '-')}"
""",
    """
def is_active_$noun($result: dict) -> bool:
    return $result.get("status") == "active"
""",
)


def snippet(
    rng: random.Random, kind: str, defect: bool, module: dict[str, str] | None = None
) -> Snippet:
    """One function from `kind`'s templates: a defect of that kind, or a clean twin. Names are
    drawn afresh, except the service and its URL constant, taken from `module` if given."""
    template, imports = rng.choice(TEMPLATES[kind][0 if defect else 1])
    names = _names(rng)
    if module:
        names |= {key: module[key] for key in ("svc", "BASE")}
    secret_name = rng.choice(SECRET_WORDS)
    prefix = rng.choice(("sk_live_", "ghp_", "xoxb-", "AKIA", ""))
    names |= {
        "secretname": secret_name,
        "secretvalue": prefix + _token(rng, rng.choice((20, 24, 32))),
        "SVC": names["svc"].upper(),
    }
    return Snippet(_fill(template, names), frozenset(imports), kind if defect else None)


def _import_line(name: str) -> str:
    if "." in name and name.split(".")[-1][0].isupper():  # pathlib.Path
        module, _, item = name.rpartition(".")
        return f"from {module} import {item}"
    return f"import {name}"


def _module(service: str, imports: set[str], functions: list[str], names: dict) -> str:
    lines = sorted(_import_line(i) for i in imports | {"logging"})
    header = f'"""{service.capitalize()} service helpers."""\n\n' + "\n".join(lines) + "\n\n"
    constants = (
        "logger = logging.getLogger(__name__)\n"
        f'{names["BASE"]} = "https://{service}.internal.example.com/api/v1"\n'
        'CA_BUNDLE = "/etc/ssl/certs/internal-ca.pem"\n'
    )
    return header + constants + "".join("\n\n" + f for f in functions)


def make_one(rng: random.Random, id: str, kinds: list[str], clean_kinds: list[str]) -> Diff:
    """A diff adding one function per kind in `kinds` (defects) and `clean_kinds` (clean twins)."""
    names = _names(rng)
    service = names["svc"]
    parts = [snippet(rng, k, True, names) for k in kinds]
    parts += [snippet(rng, k, False, names) for k in clean_kinds]
    rng.shuffle(parts)
    bodies = [p.code for p in parts]
    existing = _fill(rng.choice(_EXISTING), names)
    imports = set().union(*(p.imports for p in parts))
    before_imports = {i for i in sorted(imports) if rng.random() < 0.5}
    before = _module(service, before_imports, [existing], names)
    at = rng.randrange(2)  # new functions after (0) or before (1) the existing one
    functions = [*bodies, existing] if at else [existing, *bodies]
    after = _module(service, imports, functions, names)
    path = f"{service}/{rng.choice(('client', 'service', 'jobs', 'sync', 'store'))}.py"
    labels = frozenset(p.kind for p in parts if p.kind)
    return make_diff(path, before, after, id=id, labels=labels)


def generate_diffs(seed: int, n: int = 100, *, clean_share: float = CLEAN_SHARE) -> list[Diff]:
    """`n` labelled diffs drawn with `seed`: about `clean_share` clean, the rest with one or two
    defects; every kind appears about equally often, and clean diffs carry clean twins."""
    if not isinstance(n, int) or n < 1:
        raise CourseError(f"generate_diffs needs n >= 1; got {n!r}", hint="e.g. n=100")
    if not 0 <= clean_share <= 1:
        raise CourseError(f"clean_share must be in [0, 1]; got {clean_share}", hint="e.g. 0.3")
    rng = random.Random(f"review-diffs:{seed}")
    kinds = list(KINDS)
    deck: list[str] = []
    diffs = []
    for number in range(n):
        if not deck:
            deck = kinds[:]
            rng.shuffle(deck)
        id = f"D-{seed}-{number + 1:03d}"
        others = [k for k in kinds if k != deck[-1]]
        if rng.random() < clean_share:
            picked = rng.sample(kinds, rng.choice((1, 2)))
            diffs.append(make_one(rng, id, [], picked))
        elif rng.random() < TWO_SHARE:
            diffs.append(make_one(rng, id, [deck.pop(), rng.choice(others)], []))
        else:
            clean = [rng.choice(others)] if rng.random() < 0.3 else []
            diffs.append(make_one(rng, id, [deck.pop()], clean))
    return diffs
