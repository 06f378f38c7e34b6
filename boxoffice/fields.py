"""One definition of a film: every field a request, a CSV row, a TMDB table row or the page's
form may carry, and what each is.

From ``FILM_FIELDS`` are made: the request schema and its OpenAPI (``serving.schema.Film``),
the columns the feature step reads (``boxoffice.features``) and the service lays out
(``serving.columns``), the client's options and CSV columns (``serving.client``), the page's
form (``serving.ui``) and the movies table's schema (``training.data``). Adding a plain field
is one entry here, plus its use in the feature step.

Importing this module has no side effects.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Literal

from boxoffice.config import (
    CAST_TOP_BILLED,
    DEFAULT_MARKETING_USD,
    DEFAULT_STUDIO_SHARE,
    FEATURE_SETS,
    MIN_PLAUSIBLE_USD,
)

# The 20 genres TMDB uses; a film's genres must come from this list.
TMDB_GENRES: tuple[str, ...] = (
    "Action",
    "Adventure",
    "Animation",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Family",
    "Fantasy",
    "Foreign",
    "History",
    "Horror",
    "Music",
    "Mystery",
    "Romance",
    "Science Fiction",
    "TV Movie",
    "Thriller",
    "War",
    "Western",
)

# Each genre by its name in lower case: a genre is read in any case, with spaces around it
# ('science fiction ' is 'Science Fiction'), by the service and by training alike.
GENRES_BY_LOWER: dict[str, str] = {genre.lower(): genre for genre in TMDB_GENRES}


def tmdb_genre(name: str) -> str | None:
    """TMDB's name of the genre ``name`` writes (any case, spaces around it), or None."""
    return GENRES_BY_LOWER.get(name.strip().lower())


def joined_genres(text: str) -> list[str] | None:
    """The TMDB genres a name holds when it is several written as one ("Drama, Comedy",
    "Action;Drama"), else None."""
    parts = [tmdb_genre(p) for p in re.split(r"[,;/|]", text)]
    return parts if len(parts) > 1 and all(parts) else None  # type: ignore[return-value]


# Other catalogues' names for TMDB's genres (IMDb's "Sci-Fi", "Musical"): suggested in an
# error or a note, never read as the genre (the models learned TMDB's names).
GENRE_SYNONYMS = {
    "sci-fi": "Science Fiction",
    "scifi": "Science Fiction",
    "sf": "Science Fiction",
    "animated": "Animation",
    "musical": "Music",
    "tv film": "TV Movie",
}


def suggested_genre(name: str) -> str | None:
    """The TMDB genre a name that is none most likely means ('Comedey', 'Sci-Fi'), if any."""
    text = name.strip().lower()
    if text in GENRE_SYNONYMS:
        return GENRE_SYNONYMS[text]
    near = difflib.get_close_matches(text, GENRES_BY_LOWER, n=1, cutoff=0.75)
    return GENRES_BY_LOWER[near[0]] if near else None


# Bounds far beyond any film, but inside float32 (the tree models' input type): a larger number
# would overflow to infinity there. Values beyond the training range are flagged, not refused.
MAX_MINUTES = 100_000.0
MAX_USD = 1e13
# The largest log_budget: that of the largest budget, so that a budget given either way has
# one bound (30 let through log1p budgets up to $10.7 trillion).
MAX_LOG_BUDGET = math.log1p(MAX_USD)
MAX_COUNT = 1e12
MIN_YEAR, MAX_YEAR = 1870, 2100
MAX_NAMES, MAX_NAME_LENGTH = 200, 200
MAX_TITLE_LENGTH = 500
# A studio's share of the box office: from 1% (below it, no film could break even) to all of it.
MIN_STUDIO_SHARE = 0.01

# kind: how a value is written and checked. "number" (a JSON number), "whole" (an integer),
# "date" (YYYY-MM-DD), "text", "code" (a short lower-case code), "names" (a list of names),
# "codes" (a list of ISO codes), "bool", "choice" (one of ``choices``).
Kind = Literal["number", "whole", "date", "text", "code", "names", "codes", "bool", "choice"]
# phase: "pre" (known before release), "post" (the audience's signals after release), "credits"
# (the cast and crew), "identity" (names the film), "request" (how to answer, not the film).
Phase = Literal["pre", "post", "credits", "identity", "request"]


@dataclass(frozen=True)
class FormInput:
    """How the page's form asks for a field."""

    label: str
    unit: str = ""  # shown beside the label
    hint: str = ""
    scale: float = 1.0  # the form's number × scale = the API's (US$ millions: 1e6)
    placeholder: str = ""
    group: str = "film"  # "film", "assumptions", "after" (post-release), "verdict"
    required: bool = False  # the page asks for it (the API may take another spelling)
    row: str = ""  # fields of one row share this name
    lines: bool = False  # a list typed one item per line (names may hold commas)
    datalist: str = ""  # the id of a <datalist> of suggestions


@dataclass(frozen=True)
class CodeRule:
    """How a code is written: the pattern it matches, in the case the pattern's letters have
    (a code is read in that case: 'us' is 'US'), and what it is, for a refusal."""

    pattern: str
    upper: bool
    expected: str


ISO_3166 = CodeRule("[A-Z]{2}", True, "a two-letter ISO 3166-1 code such as 'US'")
ISO_639 = CodeRule("[a-z]{2,3}", False, "an ISO 639-1 code such as 'en'")
# The ISO 3166-1 alpha-2 country codes, current and former (ISO 3166-3: SU, YU, CS, as TMDB
# writes a film's country of its day), as pycountry lists them (a training dependency, not the
# service's: tests/code/test_fields.py checks this table against it). A code of the right
# shape outside it ('UK', 'ZZ') is scored with a warning.
_COUNTRY_CODES_TEXT = """
AD AE AF AG AI AL AM AN AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN
BO BQ BR BS BT BU BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CS CT CU CV CW CX
CY CZ DD DE DJ DK DM DO DY DZ EC EE EG EH ER ES ET FI FJ FK FM FO FQ FR FX GA GB GD GE
GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU HV ID IE IL IM IN IO IQ
IR IS IT JE JM JO JP JT KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV
LY MA MC MD ME MF MG MH MI MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF
NG NH NI NL NO NP NQ NR NT NU NZ OM PA PC PE PF PG PH PK PL PM PN PR PS PT PU PW PY PZ
QA RE RH RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SU SV SX SY SZ
TC TD TF TG TH TJ TK TL TM TN TO TP TR TT TV TW TZ UA UG UM US UY UZ VA VC VD VE VG VI
VN VU WF WK WS YD YE YT YU ZA ZM ZR ZW
"""
COUNTRY_CODES = frozenset(_COUNTRY_CODES_TEXT.split())
# A code people write for a country whose ISO code is another: what to write.
COUNTRY_CODE_SLIPS = {"UK": "the United Kingdom's code is 'GB'"}


@dataclass(frozen=True)
class FilmField:
    name: str
    kind: Kind
    phase: Phase
    description: str
    unit: str = ""
    gt: float | None = None  # bounds of a number
    ge: float | None = None
    le: float | None = None
    lt: float | None = None
    max_items: int = MAX_NAMES  # of a list
    max_length: int = MAX_NAME_LENGTH  # of a text, or of each name
    choices: tuple[str, ...] = ()  # of a "choice", or the vocabulary of a list ("genres")
    aliases: tuple[str, ...] = ()  # other names a request may use
    tmdb_column: str | None = None  # its column in TMDB 5000's movies table
    tmdb_key: str = "name"  # the key a TMDB list's objects keep
    tmdb_kind: str = ""  # how the movies table writes it, when not as the kind says
    option: str | None = None  # the client's --option (default: the name, dashed)
    option_help: str = ""
    form: FormInput | None = None
    required: bool = False
    # A "code" or "codes": what each code is, e.g. "a two-letter ISO 3166-1 code such as 'US'",
    # and the pattern it matches once in the case the pattern has (upper or lower).
    code: CodeRule | None = None

    @property
    def is_list(self) -> bool:
        return self.kind in ("names", "codes")

    @property
    def table_kind(self) -> str:
        """How TMDB 5000's movies table writes the column: int, float, date, json or text."""
        if self.tmdb_kind:
            return self.tmdb_kind
        return {
            "number": "float",
            "whole": "int",
            "date": "date",
            "names": "json",
            "codes": "json",
        }.get(self.kind, "text")

    @property
    def cli_option(self) -> str:
        return "--" + (self.option or self.name).replace("_", "-")


# In the order of the page's form (and of the schema).
FILM_FIELDS: tuple[FilmField, ...] = (
    FilmField(
        "title",
        "text",
        "identity",
        "The film's title (comps leave out the film of this title and year).",
        max_length=MAX_TITLE_LENGTH,
        tmdb_column="title",
        option_help="Title (comps leave out the film of this title and year).",
        form=FormInput(
            "Title", hint="Optional. A film the models learned from is left out of its own comps."
        ),
    ),
    FilmField(
        "budget",
        "number",
        "pre",
        f"Production budget in USD (at least {MIN_PLAUSIBLE_USD:,}: no film the models learned "
        "from cost less, and a smaller number is a budget in millions).",
        unit="USD",
        ge=MIN_PLAUSIBLE_USD,
        le=MAX_USD,
        tmdb_column="budget",
        tmdb_kind="int",
        option_help="Budget in USD: 150M, 1.5e8 or 150000000.",
        form=FormInput(
            "Budget", "US$ millions", "150 means $150M.", scale=1e6, row="size", required=True
        ),
    ),
    FilmField(
        "log_budget",
        "number",
        "pre",
        f"log1p(budget in USD), as the original clients send it (at least "
        f"{math.log1p(MIN_PLAUSIBLE_USD):.4f}, a budget of ${MIN_PLAUSIBLE_USD:,}; at most "
        f"{MAX_LOG_BUDGET:g}, about $10^13).",
        ge=math.log1p(MIN_PLAUSIBLE_USD),
        le=MAX_COUNT,  # the model's own check says what a larger value means (MAX_LOG_BUDGET)
    ),
    FilmField(
        "runtime",
        "number",
        "pre",
        "Running time in minutes.",
        unit="minutes",
        gt=0,
        le=MAX_MINUTES,
        required=True,
        tmdb_column="runtime",
        option_help="Running time, minutes.",
        form=FormInput("Runtime", "minutes", row="size", required=True),
    ),
    FilmField(
        "genres",
        "names",
        "pre",
        f"TMDB genre names: {', '.join(TMDB_GENRES)}.",
        max_items=20,
        choices=TMDB_GENRES,
        tmdb_column="genres",
        option_help="TMDB genres, comma-separated: Action,Adventure.",
        form=FormInput("Genres", "TMDB's"),
    ),
    FilmField(
        "release_date",
        "date",
        "pre",
        "Release date, YYYY-MM-DD.",
        tmdb_column="release_date",
        option_help="Release date, YYYY-MM-DD.",
        # The page asks for it: without one, a film is scored at the training films' median
        # year, in that year's dollars (the API takes a film without it and says so).
        form=FormInput(
            "Release date", hint="Its year sets every figure's dollars.", row="when", required=True
        ),
    ),
    FilmField(
        "release_year",
        "whole",
        "pre",
        "Release year, when the date is not known.",
        ge=MIN_YEAR,
        le=MAX_YEAR,
    ),
    FilmField(
        "original_language",
        "code",
        "pre",
        "ISO 639-1 code, e.g. 'en'.",
        max_length=3,
        code=ISO_639,
        tmdb_column="original_language",
        option="language",
        option_help="Original language, ISO 639-1 code: en.",
        form=FormInput(
            "Original language", "ISO 639-1", placeholder="en", row="when", datalist="languages"
        ),
    ),
    FilmField(
        "production_companies",
        "names",
        "pre",
        "Production company names.",
        tmdb_column="production_companies",
        option="companies",
        option_help="Production companies, comma- or |-separated ('' for none).",
        form=FormInput("Production companies", "one per line", lines=True),
    ),
    FilmField(
        "production_countries",
        "codes",
        "pre",
        "ISO 3166-1 codes, e.g. 'US'.",
        code=ISO_3166,
        tmdb_column="production_countries",
        tmdb_key="iso_3166_1",
        option="countries",
        option_help="Production countries, ISO 3166-1 codes: US,GB.",
        form=FormInput("Production countries", "ISO 3166-1 codes, e.g. US, GB"),
    ),
    FilmField(
        "spoken_languages",
        "codes",
        "pre",
        "ISO 639-1 codes.",
        code=ISO_639,
        tmdb_column="spoken_languages",
        tmdb_key="iso_639_1",
    ),
    FilmField(
        "keywords",
        "names",
        "pre",
        "TMDB keywords.",
        tmdb_column="keywords",
        option_help="TMDB keywords, comma-separated ('' for none).",
        form=FormInput(
            "Keywords",
            "one per line",
            "A list left empty is scored as a typical number of items, none in particular.",
            lines=True,
        ),
    ),
    FilmField(
        "directors",
        "names",
        "credits",
        "The directors' names, e.g. 'Christopher Nolan' (read by models trained with a "
        "credits table; a name with no track record is scored as unknown).",
        option_help="Directors, comma- or |-separated (read by models with credits).",
        form=FormInput(
            "Directors",
            "one per line",
            "Read by models trained with a credits table; a name with no track record is "
            "scored as unknown (see the warnings).",
            lines=True,
            row="credits",
        ),
    ),
    FilmField(
        "cast",
        "names",
        "credits",
        "The cast's names in billing order; models trained with a credits table read the "
        "first few.",
        option_help="Cast in billing order, comma- or |-separated.",
        form=FormInput(
            "Cast",
            "one per line, top-billed first",
            f"The first {CAST_TOP_BILLED} are read.",
            lines=True,
            row="credits",
        ),
    ),
    FilmField(
        "studio_share",
        "number",
        "request",
        f"The share of the box office that reaches the studio, {MIN_STUDIO_SHARE:g} to 1; "
        f"default {DEFAULT_STUDIO_SHARE:g}. Profit = studio_share × revenue − budget − "
        "marketing.",
        ge=MIN_STUDIO_SHARE,
        le=1,
        form=FormInput(
            "Studio share",
            "% of the box office",
            scale=0.01,
            placeholder="50",
            group="assumptions",
            row="profit",
        ),
    ),
    FilmField(
        "marketing_usd",
        "number",
        "request",
        f"Marketing spend in USD beside the budget; default {DEFAULT_MARKETING_USD:g}.",
        unit="USD",
        ge=0,
        le=MAX_USD,
        form=FormInput(
            "Marketing",
            "US$ millions",
            scale=1e6,
            placeholder="0",
            group="assumptions",
            row="profit",
        ),
    ),
    FilmField(
        "popularity",
        "number",
        "post",
        "TMDB popularity score.",
        ge=0,
        le=MAX_COUNT,
        tmdb_column="popularity",
        option_help="Post-release: TMDB popularity.",
        form=FormInput("TMDB popularity", group="after", row="after"),
    ),
    FilmField(
        "vote_average",
        "number",
        "post",
        "Average TMDB rating, 0-10 (alias: vote_avg).",
        ge=0,
        le=10,
        aliases=("vote_avg",),
        tmdb_column="vote_average",
        option_help="Post-release: average TMDB rating, 0-10.",
        form=FormInput("Vote average", "0-10", group="after", row="after"),
    ),
    FilmField(
        "vote_count",
        "number",
        "post",
        "Number of TMDB votes.",
        ge=0,
        le=MAX_COUNT,
        tmdb_column="vote_count",
        tmdb_kind="int",
        option_help="Post-release: number of TMDB votes.",
        form=FormInput("Vote count", group="after", row="after"),
    ),
    FilmField(
        "hit_threshold",
        "number",
        "request",
        "is_hit is probability >= this; default 0.5 (a calibrated 'more likely than not').",
        gt=0,
        lt=1,
        form=FormInput(
            "Call it a hit when P(hit) is at least",
            "%; empty: 50%",
            scale=0.01,
            group="verdict",
        ),
    ),
    FilmField(
        "explain",
        "bool",
        "request",
        "Add an explanation: each feature's contribution to the raw model output (log1p "
        "revenue / hit log-odds), largest first.",
    ),
    FilmField(
        "explain_top",
        "whole",
        "request",
        "With explain: keep the k largest contributions and fold the rest into one 'other' "
        "entry (the sum still holds).",
        ge=1,
        le=200,
    ),
    FilmField(
        "model",
        "choice",
        "request",
        "Which model answers; default: post_release when any post-release signal "
        "(popularity, vote_average, vote_count) is given, unless vote_count is 0 (no votes "
        "yet, as TMDB gives a film not yet out), else pre_release.",
        choices=FEATURE_SETS,
    ),
)
FIELDS_BY_NAME = {field.name: field for field in FILM_FIELDS}


def fields_of(*phases: Phase) -> tuple[FilmField, ...]:
    return tuple(f for f in FILM_FIELDS if f.phase in phases)


# The lists a film may carry, and the key of TMDB's objects each keeps.
LIST_FIELDS: tuple[str, ...] = tuple(f.name for f in FILM_FIELDS if f.is_list and f.phase == "pre")
CREDIT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields_of("credits"))
TMDB_LIST_KEYS: dict[str, str] = {
    f.name: f.tmdb_key for f in FILM_FIELDS if f.is_list and f.tmdb_column
}
POST_RELEASE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields_of("post"))
# The amounts in US$: a table's cell may write them as people do ($150,000,000, 150M).
AMOUNT_FIELDS: tuple[str, ...] = tuple(f.name for f in FILM_FIELDS if f.unit == "USD")
# Shares of 1 (the studio's share, the verdict's threshold), which the form takes in percent: a
# CSV cell may write one as a percentage, "45%" for 0.45.
SHARE_FIELDS: tuple[str, ...] = tuple(
    f.name for f in FILM_FIELDS if f.form is not None and f.form.scale == 0.01
)
# The columns of TMDB's movies table that are no film field: the realised revenue (what
# training learns; never an input) and text no model reads. A table of films may carry them.
TMDB_OTHER_COLUMNS = frozenset(
    {"revenue", "homepage", "original_title", "overview", "status", "tagline"}
)
