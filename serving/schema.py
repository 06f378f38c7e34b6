"""The HTTP contract: a film as clients send it, and what the service answers.

Field names follow the original FastAPI server (``vote_avg``, ``log_budget``) and TMDB
(``vote_average``, ``budget``); both spellings are accepted.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from boxoffice.config import (
    COMPARABLES_K,
    DEFAULT_MARKETING_USD,
    DEFAULT_STUDIO_SHARE,
    MAX_COMPARABLES_K,
    MIN_PLAUSIBLE_USD,
    FeatureSet,
)
from boxoffice.fields import (
    FIELDS_BY_NAME,
    FILM_FIELDS,
    GENRES_BY_LOWER,
    ISO_639,
    MAX_LOG_BUDGET,
    MAX_YEAR,
    MIN_YEAR,
    POST_RELEASE_FIELDS,
    TMDB_GENRES,
    FilmField,
    joined_genres,
    suggested_genre,
    tmdb_genre,
)
from boxoffice.messages import SEVERAL, too_small
from serving.columns import LOG_BUDGET_TOLERANCE, MAX_BATCH, MAX_TABLE_ROWS

MAX_SCENARIOS = 500
MAX_SLATE = 500
_FIELD = FIELDS_BY_NAME


def _refused(message: str) -> PydanticCustomError:
    """A rule's refusal, its message as written (a ValueError's would read "Value error, ...")."""
    return PydanticCustomError("value_error", message)


BUDGET_REQUIRED = "required: give 'budget' (USD) or 'log_budget' (log1p of USD)"
# What a table's row is told when its budget cell is 0, read as unknown (TMDB's tables).
ZERO_BUDGET = (
    "0, which TMDB's tables write for an unknown budget: give the film's budget (USD) or "
    "'log_budget' (log1p of USD)"
)


def told_of_zero_budget(said: str) -> str:
    """A table row's problems ('field: message; ...') as told when its budget cell was 0,
    which was read as unknown: its budget is not missing, it is 0."""
    return said.replace(f"budget: {BUDGET_REQUIRED}", f"budget: {ZERO_BUDGET}")


def _detail(error: Any) -> InitErrorDetails:
    """A reported error as it can be raised again (a rule's refusal keeps its message)."""
    kind = _refused(error["msg"]) if error["type"] == "value_error" else error["type"]
    detail = InitErrorDetails(type=kind, loc=error["loc"], input=error["input"])
    if "ctx" in error and error["type"] != "value_error":
        detail["ctx"] = error["ctx"]
    return detail


def _refused_at(field: str, message: str, value: Any = None) -> ValidationError:
    """A rule over several fields refused at the one it names: its ``loc`` ends with ``field``
    (``films.3.budget``), where a model's own rule would say only ``films.3``."""
    return ValidationError.from_exception_data(
        "Film", [InitErrorDetails(type=_refused(message), loc=(field,), input=value)]
    )


def _short(value: object, limit: int = 40) -> str:
    """A value for an error message, cut short: errors must not echo megabytes back."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _codes(
    codes: list[str] | None, pattern: str, normalise: Callable[[str], str], expected: str
) -> list[str] | None:
    if codes is None:
        return None
    normalised = []
    for code in codes:
        # ASCII first: str.upper() would turn 'ß' into 'SS'.
        norm = normalise(code.strip())
        if not (code.isascii() and re.fullmatch(pattern, norm)):
            parts = [normalise(p.strip()) for p in re.split(r"[,;/]", code)]
            several = len(parts) > 1 and all(re.fullmatch(pattern, p) for p in parts)
            hint = f" (it holds several: {SEVERAL})" if several else ""
            raise _refused(f"{_short(code)} is not {expected}{hint}")
        normalised.append(norm)
    return normalised


# The seed project's own example film: used by the docs, the tests and the client.
EXAMPLE_FILM = {"runtime": 118.0, "popularity": 28.670477, "vote_avg": 5.7, "log_budget": 17.370859}
EXAMPLE_PRE_RELEASE_FILM = {
    "budget": 150_000_000,
    "runtime": 130,
    "genres": ["Action", "Adventure"],
    "release_date": "2027-07-02",
    "original_language": "en",
    "production_companies": ["Marvel Studios"],
    "production_countries": ["US"],
    "keywords": ["superhero", "sequel"],
    "title": "An untitled sequel",
}

# A slate as a CSV, the client's `score` columns: the page's example.
EXAMPLE_SLATE_CSV = """title,budget,runtime,genres,release_date,original_language,marketing_usd
An untitled sequel,150000000,130,Action|Adventure,2027-07-02,en,60000000
A small horror film,8000000,92,Horror|Thriller,2027-10-15,en,10000000
An animated feature,75000000,95,Animation|Family|Comedy,2027-11-24,en,40000000
A romantic comedy,25000000,108,Comedy|Romance,2027-02-12,en,
A period drama,40000000,135,Drama|History,2027-12-17,en,
"""


# The list fields of free names (not codes, nor a vocabulary such as the genres): each name
# read without outer spaces.
NAMED_LISTS = tuple(f.name for f in FILM_FIELDS if f.kind == "names" and not f.choices)
# Each field's name beside each of its aliases.
_ALIASED = tuple((f.name, alias) for f in FILM_FIELDS for alias in f.aliases)


class _FilmRules(BaseModel):
    """What a film's fields must satisfy beside each field's own type and bounds (those, and
    the fields themselves, come from ``boxoffice.fields``: see ``film_model``)."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        # One example: BentoML 1.4's OpenAPI Schema has no `examples` (bentoml build fails).
        json_schema_extra={"example": EXAMPLE_FILM},
    )

    @field_validator("release_date", mode="before", check_fields=False)
    @classmethod
    def _iso_date(cls, value: object) -> object:
        # pydantic would read a number (or a string of digits) as Unix seconds: 1209600 would be
        # 1970-01-15. Only a YYYY-MM-DD text (or a date, from Python callers) is a release date.
        if value is None or isinstance(value, dt.date):
            return value
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            timed = isinstance(value, str) and re.match(r"(\d{4}-\d{2}-\d{2})[T ]\d", value)
            hint = f" (a date and a time: give the date alone, {timed[1]!r})" if timed else ""
            raise _refused(f"expected a date as 'YYYY-MM-DD', got {_short(value)}{hint}")
        return value

    @field_validator("budget", mode="before", check_fields=False)
    @classmethod
    def _budget_in_dollars(cls, value: object) -> object:
        # 150 meant as $150M: said as the client says it, not as the bound pydantic checks.
        if type(value) in (int, float) and 0 < value < MIN_PLAUSIBLE_USD:  # type: ignore[operator]
            raise _refused(f"{value:g} is {too_small(float(value))}")  # type: ignore[arg-type]
        if type(value) in (int, float) and value <= 0:  # type: ignore[operator]
            raise _refused(
                f"{value:,.0f} is not a budget: an amount in US$, at least ${MIN_PLAUSIBLE_USD:,}"
                + (" (0 is TMDB's 'unknown'; give the film's budget)" if value == 0 else "")
            )
        return value

    @field_validator("marketing_usd", mode="before", check_fields=False)
    @classmethod
    def _marketing_in_dollars(cls, value: object) -> object:
        if type(value) in (int, float) and value < 0:  # type: ignore[operator]
            raise _refused(f"{value:,.0f} is negative: marketing is an amount in US$, 0 or more")
        return value

    @field_validator("release_date", check_fields=False)
    @classmethod
    def _plausible_year(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
            raise _refused(f"year {value.year} is outside {MIN_YEAR}-{MAX_YEAR}")
        return value

    @field_validator(*NAMED_LISTS, check_fields=False)
    @classmethod
    def _names(cls, names: list[str] | None) -> list[str] | None:
        """Names as training reads them: without the spaces around them (a keyword written
        'archeology\u00a0' is 'archeology', in JSON as in a CSV's `a|b`)."""
        if names is None:
            return None
        stripped = [name.strip() for name in names]
        if "" in stripped:
            raise _refused("a name made only of spaces")
        return stripped

    @field_validator("original_language", mode="before", check_fields=False)
    @classmethod
    def _language_case(cls, value: object) -> object:
        if isinstance(value, str) and value.isascii():
            code = value.strip().lower()  # the pattern below checks the rest
            if len(code) > 3 and code.isalpha():  # a language's name: 'english'
                raise _refused(f"{_short(value)} is not {ISO_639.expected}")
            return code
        return value

    @field_validator("genres", check_fields=False)
    @classmethod
    def _known_genres(cls, genres: list[str] | None) -> list[str] | None:
        if genres is None:
            return None
        unknown = [g for g in genres if tmdb_genre(g) is None]
        if unknown:
            joined = [g for g in unknown if joined_genres(g)]
            near = [n for n in map(suggested_genre, unknown[:5]) if n]
            hint = (
                f" ({_short(joined[0])} holds several: {SEVERAL})"
                if joined
                else f" (did you mean {', '.join(map(repr, near))}?)"
                if near
                else ""
            )
            raise _refused(
                f"unknown genre(s) {', '.join(_short(g) for g in unknown[:5])}{hint}; "
                f"expected TMDB genres: {', '.join(TMDB_GENRES)}"
            )
        # As written, repeats kept: they count once, and the answer's warnings say so.
        return [GENRES_BY_LOWER[g.strip().lower()] for g in genres]

    @model_validator(mode="before")
    @classmethod
    def _one_spelling(cls, data: object) -> object:
        """A field given under its name and an alias (``vote_average``, ``vote_avg``): refused
        when both hold a value, else read from the one that does."""
        if not isinstance(data, dict):
            return data
        for name, alias in _ALIASED:
            if name in data and alias in data:
                if data[name] is not None and data[alias] is not None:
                    raise _refused_at(
                        alias, f"give {name!r} or its alias {alias!r}, not both", data[alias]
                    )
                unused = name if data[name] is None else alias
                data = {key: value for key, value in data.items() if key != unused}
        return data

    @model_validator(mode="wrap")
    @classmethod
    def _budget_named_too(cls, data: Any, handler: Callable[[Any], Any]) -> Any:
        """A film without a budget is told so beside its fields' own errors (the rule below
        runs only once every field passed: a film missing its budget and its runtime would be
        told of the runtime alone)."""
        try:
            return handler(data)
        except ValidationError as error:
            errors = error.errors()
            if (
                not isinstance(data, dict)
                or any(data.get(name) is not None for name in ("budget", "log_budget"))
                or any(e["loc"][:1] in (("budget",), ("log_budget",)) for e in errors)
            ):
                raise
            details = [_detail(e) for e in errors]
            details.append(
                InitErrorDetails(type=_refused(BUDGET_REQUIRED), loc=("budget",), input=None)
            )
            raise ValidationError.from_exception_data(error.title, details) from None

    @model_validator(mode="after")
    def _consistent(self) -> _FilmRules:
        if self.explain_top is not None and not self.explain:
            raise _refused_at(
                "explain_top", "'explain_top' needs \"explain\": true", self.explain_top
            )
        if self.budget is None and self.log_budget is None:
            raise _refused_at("budget", BUDGET_REQUIRED)
        if (
            self.budget is not None
            and self.log_budget is not None
            and abs(math.log1p(self.budget) - self.log_budget) > LOG_BUDGET_TOLERANCE
        ):
            raise _refused_at(
                "log_budget",
                f"'budget' {self.budget:g} and 'log_budget' {self.log_budget:g} "
                f"disagree (log1p(budget) = {math.log1p(self.budget):.6f})",
                self.log_budget,
            )
        if self.log_budget is not None and self.log_budget > MAX_LOG_BUDGET:
            raise _refused_at(
                "log_budget",
                f"'log_budget' {self.log_budget:g} is not a log1p of USD "
                f"(above {MAX_LOG_BUDGET:g}, i.e. over $10^13)",
                self.log_budget,
            )
        if (
            self.release_date is not None
            and self.release_year is not None
            and self.release_date.year != self.release_year
        ):
            raise _refused_at(
                "release_year",
                f"'release_date' {self.release_date} and 'release_year' "
                f"{self.release_year} disagree",
                self.release_year,
            )
        return self

    @property
    def budget_usd(self) -> float:
        return self.budget if self.budget is not None else math.expm1(self.log_budget or 0.0)


def _number(field: FilmField, whole: bool) -> Any:
    bounds = {
        k: getattr(field, k) for k in ("gt", "ge", "le", "lt") if getattr(field, k) is not None
    }
    if whole:
        return Annotated[int, Field(**bounds, strict=True)]
    return Annotated[float, Field(**bounds, strict=True, allow_inf_nan=False)]


def field_annotation(field: FilmField) -> Any:
    """A film field's type, with its bounds, from its entry in ``boxoffice.fields``."""
    name = Annotated[str, Field(min_length=1, max_length=field.max_length)]
    kinds: dict[str, Any] = {
        "number": lambda: _number(field, whole=False),
        "whole": lambda: _number(field, whole=True),
        "date": lambda: dt.date,
        "text": lambda: Annotated[str, Field(max_length=field.max_length)],
        "code": lambda: Annotated[
            str,
            Field(
                min_length=2,
                max_length=field.max_length,
                pattern=f"^{field.code.pattern}$" if field.code else None,
            ),
        ],
        "names": lambda: Annotated[list[name], Field(max_length=field.max_items)],
        "codes": lambda: Annotated[list[name], Field(max_length=field.max_items)],
        "bool": lambda: bool,
        "choice": lambda: Literal[field.choices],
    }
    return kinds[field.kind]()


def film_model(fields: tuple[FilmField, ...] = FILM_FIELDS, name: str = "Film") -> type[BaseModel]:
    """The request schema of one film, from the field table (its validators: ``_FilmRules``)."""
    definitions: dict[str, Any] = {}
    for field in fields:
        annotation = field_annotation(field)
        options: dict[str, Any] = {"description": field.description}
        if field.aliases:
            options["validation_alias"] = AliasChoices(field.name, *field.aliases)
        if field.required:
            definitions[field.name] = (annotation, Field(**options))
        elif field.kind == "bool":
            definitions[field.name] = (annotation, Field(False, **options))
        else:
            definitions[field.name] = (annotation | None, Field(None, **options))
    return create_model(
        name,
        __base__=_FilmRules,
        __doc__="One film. ``runtime`` and a budget (``budget`` or ``log_budget``) are required.",
        __module__=__name__,
        __validators__=_code_list_validators(fields),
        **definitions,
    )


def _code_list_validators(fields: tuple[FilmField, ...]) -> dict[str, Any]:
    """Each list of codes checked against its field's ``CodeRule``, read in its case."""
    rules = {f.name: f.code for f in fields if f.kind == "codes" and f.code is not None}
    if not rules:
        return {}

    def codes_of(cls: Any, codes: list[str] | None, info: ValidationInfo) -> list[str] | None:
        rule = rules[info.field_name]
        return _codes(codes, rule.pattern, str.upper if rule.upper else str.lower, rule.expected)

    return {"_code_lists": field_validator(*rules)(codes_of)}


Film = film_model()


def _kind(annotation: object) -> str:
    """What a film field holds, from its type: "list", "bool", "whole", "number" or "text"."""
    if annotation is bool:
        return "bool"
    if annotation is int:
        return "whole"
    if annotation is float:
        return "number"
    if get_origin(annotation) is list:
        return "list"
    kinds = {_kind(arg) for arg in get_args(annotation) if arg is not type(None)}
    for kind in ("list", "bool", "whole", "number"):
        if kind in kinds:
            return kind
    return "text"


def field_kinds(model: type[BaseModel]) -> dict[str, str]:
    """Each film field's kind, as a CSV cell or a form's text is read into it (the client's
    `score` and `slate`, the page's slate view, /predict_table); aliases too."""
    kinds = {name: _kind(field.annotation) for name, field in model.model_fields.items()}
    for name, field in model.model_fields.items():
        alias = field.validation_alias
        for other in getattr(alias, "choices", ()):
            kinds.setdefault(other, kinds[name])
    return kinds


FIELD_KINDS: dict[str, str] = field_kinds(Film)


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    films: Annotated[list[Film], Field(min_length=1, max_length=MAX_BATCH)]

    @field_validator("films", mode="before")
    @classmethod
    def _at_most(cls, films: Any) -> Any:
        """More films than a batch takes are refused before any is read, saying where they
        fit (pydantic's own message came after validating every film, and said only the
        bound)."""
        if isinstance(films, list) and len(films) > MAX_BATCH:
            raise PydanticCustomError(
                "too_long",
                f"{len(films):,} films: at most {MAX_BATCH:,} in one request; send more at once "
                f"to POST /predict_table as CSV or Parquet (up to {MAX_TABLE_ROWS:,} films), "
                "or in several requests",
            )
        return films


# Fields given one of two ways: a scenario that sets one replaces the base film's other.
EXCLUSIVE_FIELDS = (("budget", "log_budget"), ("release_date", "release_year"))


class FilmChanges(Film):
    """Changes to a film: any of its fields, none required (`explain` is not available here)."""

    model_config = ConfigDict(json_schema_extra={"example": {"budget": 80_000_000}})

    runtime: field_annotation(_FIELD["runtime"]) | None = Field(  # type: ignore[valid-type]
        None, description=_FIELD["runtime"].description
    )
    # The film these changes make of the request's base film, kept by ScenariosRequest's
    # validation so that scoring does not validate it again.
    _film: Film | None = PrivateAttr(None)

    @model_validator(mode="wrap")
    @classmethod
    def _budget_named_too(cls, data: Any, handler: Callable[[Any], Any]) -> Any:
        # Replaces Film's: a change needs no budget (the merged film is checked for one).
        return handler(data)

    @model_validator(mode="after")
    def _consistent(self) -> FilmChanges:  # replaces Film's: the merged film is checked
        if self.model_fields_set & {"explain", "explain_top"}:
            raise _refused("'explain' is not available in a scenario")
        return self

    def apply_to(self, film: Film) -> dict[str, Any]:
        """The base film's fields with these changes, as a dict to validate as a Film."""
        merged = film.model_dump(exclude_unset=True)
        for pair in EXCLUSIVE_FIELDS:
            if set(pair) & self.model_fields_set:
                for name in set(pair) - self.model_fields_set:
                    merged.pop(name, None)
        return {**merged, **self.model_dump(include=self.model_fields_set)}


class ScenariosRequest(BaseModel):
    """A film and scenarios: each scenario changes some of its fields."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "film": EXAMPLE_PRE_RELEASE_FILM,
                "scenarios": [{"budget": 80_000_000}, {"release_date": "2027-12-17"}],
            }
        },
    )

    film: Film
    scenarios: Annotated[list[FilmChanges], Field(min_length=1, max_length=MAX_SCENARIOS)]

    @model_validator(mode="after")
    def _each_scenario_is_a_film(self) -> ScenariosRequest:
        if self.film.explain:
            raise _refused("'explain' is not available in /predict_scenarios: ask /predict_revenue")
        errors: list[dict[str, Any]] = []
        for i, changes in enumerate(self.scenarios):
            try:
                changes._film = Film.model_validate(changes.apply_to(self.film))
            except ValidationError as error:  # a change that makes the film inconsistent
                errors += [
                    {key: e[key] for key in ("type", "input", "ctx") if key in e}
                    | {"loc": ("scenarios", i, *e["loc"])}
                    # A rule's refusal (_refused) carries its message, not a context.
                    | (
                        {"type": _refused(e["msg"])}
                        if "ctx" not in e and e["type"] == "value_error"
                        else {}
                    )
                    for e in error.errors()
                ]
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self

    def films(self) -> list[Film]:
        """The base film, then each scenario's film, in order."""
        return [
            self.film,
            *(
                changes._film
                if changes._film is not None
                else Film.model_validate(changes.apply_to(self.film))
                for changes in self.scenarios
            ),
        ]


class _Answer(BaseModel):
    """A part of an answer: exactly these keys (tests/code/test_answers.py checks the
    predictor's answers against these models)."""

    model_config = ConfigDict(extra="forbid")


class Contribution(_Answer):
    feature: str = Field(description="In the user's terms, e.g. 'budget', 'genre Action'.")
    contribution: float = Field(
        description="Revenue: in log1p USD (the forecast is multiplied by e^contribution); "
        "P(hit): in probability (× 100 for points)."
    )
    factor: float | None = Field(
        None, description="Revenue only: e^contribution, what it multiplies the forecast by."
    )


class Explanation(_Answer):
    base: float = Field(description="The answer before any feature (an average film's).")
    output: float = Field(
        description="base + sum of contributions: the answer (log1p of the median revenue, or "
        "P(hit))."
    )
    units: str = Field(description="'log1p USD' (revenue) or 'probability' (P(hit)).")
    method: str
    reference_budget_usd: float | None = Field(
        None,
        description="P(hit) only: the budget of the average film P(hit) starts from (the "
        "training films' median); the budget's driver moves the hit line from it to the film's.",
    )
    contributions: list[Contribution]


class RevenueInterval(_Answer):
    revenue_p10_usd: float = Field(description="Lower end of the 80% range, USD.")
    revenue_p90_usd: float = Field(description="Upper end of the 80% range, USD.")
    log_revenue_p10: float
    log_revenue_p90: float
    interval_level: float = Field(description="Nominal coverage of the range (0.8).")


class Profit(_Answer):
    profit_usd: float = Field(
        description="The median profit: studio_share × revenue − budget − marketing, USD."
    )
    profit_p10_usd: float = Field(description="Lower end of the profit's 80% range, USD.")
    profit_p90_usd: float = Field(description="Upper end of the profit's 80% range, USD.")
    p_profit: float = Field(
        description="P(profit > 0). With studio_share 0.5 and no marketing, it is P(hit) at "
        "a hit ratio of 2."
    )
    break_even_revenue_usd: float = Field(
        description="The revenue at which the profit is 0: (budget + marketing) / studio_share."
    )


class Assumptions(_Answer):
    studio_share: float = Field(description="The studio's share of the box office used.")
    marketing_usd: float = Field(description="The marketing spend used, USD.")


class _When(_Answer):
    dollars_year: int = Field(
        description="The USD figures are in dollars of this year: the film's release year "
        "(without a release_date, the year it was scored as)."
    )
    horizon_years: int = Field(
        description="Years between that release year and the newest film the models learned "
        "from: beyond 1, the interval is widened and P(hit) tempered for it; 0 or less for a "
        "film of the years they learned from (-11: eleven years before the newest), read as 1."
    )


class RevenueResult(RevenueInterval, Profit, Assumptions, _When):
    revenue: float = Field(
        description="The revenue forecast (the median of the film's distribution) as "
        "log1p(USD) (original clients apply expm1)."
    )
    log_revenue: float = Field(description="Same value as 'revenue'.")
    revenue_usd: float = Field(description="The revenue forecast, USD: the median.")
    model: FeatureSet
    model_version: str = Field(
        description="Tag of the model that answered; its model card carries the same version."
    )
    warnings: list[str] = Field(default_factory=list)
    explanation: Explanation | None = Field(None, description="Only when asked for.")


THRESHOLD_USED = (
    "The threshold is_hit used (is_hit: probability at least this): the film's hit_threshold, "
    "or the model's default."
)


class HitResult(_When):
    probability: float = Field(
        description="P(revenue > hit ratio × budget), read from the same distribution as the "
        "revenue forecast: at least 0.5 exactly when the forecast is at least hit_revenue_usd."
    )
    is_hit: bool
    threshold: float = Field(description=THRESHOLD_USED)
    hit_ratio: float = Field(description="A hit: revenue above hit_ratio × the budget.")
    hit_revenue_usd: float = Field(description="The revenue a hit needs: hit_ratio × budget.")
    p_profit: float = Field(
        description="P(profit > 0) under the film's studio_share and marketing."
    )
    model: FeatureSet
    model_version: str
    warnings: list[str] = Field(default_factory=list)
    explanation: Explanation | None = Field(None, description="Only when asked for.")


class BatchExplanation(_Answer):
    revenue: Explanation
    hit: Explanation


class _Forecast(Profit, _When):
    """Both forecasts and the profit of one film, when the models and thresholds are said once,
    in `models`."""

    log_revenue: float = Field(description="The revenue forecast (the median), log1p(USD).")
    revenue_usd: float
    revenue_p10_usd: float = Field(description="Lower end of the 80% range, USD.")
    revenue_p90_usd: float = Field(description="Upper end of the 80% range, USD.")
    probability: float = Field(description="P(hit), from the same distribution.")
    is_hit: bool
    threshold: float = Field(description=THRESHOLD_USED)
    model: FeatureSet = Field(description="Which models answered; see `models`.")
    warnings: list[str] = Field(default_factory=list)


class FilmPrediction(_Forecast):
    index: int = Field(description="Position of the film in the request.")
    explanation: BatchExplanation | None = Field(None, description="Only when asked for.")


class BatchModels(_Answer):
    model_version: str = Field(description="Tag of the forecast model that answered.")
    hit_ratio: float = Field(description="A hit: revenue above hit_ratio × the budget.")
    hit_threshold: float = Field(
        description="The default threshold of is_hit; a film's own hit_threshold overrides it."
    )
    interval_level: float
    newest_training_year: int = Field(
        description="The release year of the newest film the models learned from."
    )


class BatchResult(_Answer):
    models: dict[FeatureSet, BatchModels] = Field(
        description="The models that answered, by feature set, with their threshold."
    )
    predictions: list[FilmPrediction]


class ScenarioForecast(_Forecast):
    changed: list[str] = Field(
        description="The fields this scenario sets to a value other than the base film's "
        "(none: the base, or a scenario that changes nothing)."
    )


class ScenariosResult(_Answer):
    models: dict[FeatureSet, BatchModels] = Field(
        description="The models that answered, by feature set, with their threshold."
    )
    base: ScenarioForecast
    scenarios: list[ScenarioForecast] = Field(description="One per scenario, in order.")


class ComparablesRequest(Film):
    """A film, as /predict_revenue takes it, and how many comparable films to return. Comps are
    found on the fields known before release; the others (popularity, votes, explain, model,
    hit_threshold) are accepted and play no part."""

    model_config = ConfigDict(
        json_schema_extra={"example": {**EXAMPLE_PRE_RELEASE_FILM, "k": COMPARABLES_K}}
    )

    k: Annotated[int, Field(ge=1, le=MAX_COMPARABLES_K, strict=True)] = Field(
        COMPARABLES_K, description=f"How many comparable films (1-{MAX_COMPARABLES_K})."
    )


class ComparableFilm(_Answer):
    title: str
    release_year: int
    budget_usd: float = Field(description="In dollars of its release year.")
    revenue_usd: float = Field(description="Worldwide box office, in dollars of its release year.")
    budget_usd_in_dollars_year: float = Field(
        description="In dollars of the answer's dollars_year (CPI-U): the basis of the film's "
        "own forecast."
    )
    revenue_usd_in_dollars_year: float = Field(
        description="In dollars of the answer's dollars_year (CPI-U)."
    )
    budget_usd_constant: float = Field(description="In dollars of constant_dollars_year (CPI-U).")
    revenue_usd_constant: float = Field(description="In dollars of constant_dollars_year (CPI-U).")
    revenue_to_budget: float
    is_hit: bool = Field(description="revenue > hit ratio × budget.")
    genres: list[str]
    similarity: float = Field(description="1 / (1 + distance): 1 for an identical film.")


class ComparablesResult(_Answer):
    comparables_version: str = Field(description="Tag of the comparable-films table.")
    k: int
    dollars_year: int = Field(
        description="The film's release year as scored: its forecast's dollars, in which the "
        "*_in_dollars_year figures are given."
    )
    constant_dollars_year: int
    median_revenue_usd: float = Field(
        description="The median revenue of these films, in their own years' dollars."
    )
    median_revenue_usd_in_dollars_year: float = Field(
        description="The median revenue of these films in dollars of dollars_year."
    )
    backtest_r2: float | None = Field(
        None,
        description="R² of the median of k comps' log revenue as a forecast of later films "
        "(forward backtest), for this k when measured.",
    )
    films: list[ComparableFilm] = Field(description="Most similar first.")


# A slate's film without a date would be scored at the training films' median year, in that
# year's dollars, and added to the others' (a film of 2005 in a slate of 2027).
UNDATED_IN_SLATE = (
    "required in a slate (or 'release_year'): the year sets the dollars of the film's figures, "
    "which the slate's totals add up"
)


# A slate's film giving some of the post-release fields: the post-release model would read the
# others as the training films' median (a vote average alone took a $102M forecast to $65M), and
# the slate's totals would add that up. /predict_batch takes it, with a warning (the original
# project's clients send popularity and vote average alone); a slate, new, asks for all or none.
def _partly_post_release(given: list[str]) -> str:
    return (
        f"{', '.join(given)} given without the other post-release fields: the post-release model "
        f"reads {', '.join(POST_RELEASE_FIELDS)} together and would read a missing one as the "
        "training films' median; in a slate, give all of them or none"
    )


def _slate_rules(value: Callable[[str], Any]) -> list[tuple[str, str]]:
    """A slate film's own rules, read by ``value(field)`` (None: not given; an aliased field
    read under its alias too): (the field refused, why)."""

    def given(name: str) -> bool:
        return any(value(n) is not None for n in (name, *FIELDS_BY_NAME[name].aliases))

    refused = []
    if not given("release_date") and not given("release_year"):
        refused.append(("release_date", UNDATED_IN_SLATE))
    post = [name for name in POST_RELEASE_FIELDS if given(name)]
    if 0 < len(post) < len(POST_RELEASE_FIELDS):
        missing = next(name for name in POST_RELEASE_FIELDS if name not in post)
        refused.append((missing, _partly_post_release(post)))
    return refused


# The fields each rule reads: a film whose own error names one of them is not told the rule too.
_RULE_FIELDS = {
    "release_date": {"release_date", "release_year"},
    **{name: set(POST_RELEASE_FIELDS) for name in POST_RELEASE_FIELDS},
}


class SlateFilm(Film):  # type: ignore[valid-type, misc]
    """A film of a slate: a film, dated, and with all the post-release fields or none."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": EXAMPLE_FILM,
            "anyOf": [{"required": ["release_date"]}, {"required": ["release_year"]}],
        }
    )

    @model_validator(mode="wrap")
    @classmethod
    def _dated(cls, data: Any, handler: Callable[[Any], Any]) -> Any:
        """An undated film, or one giving some of the post-release fields, is told so beside
        its fields' own errors (as a missing budget is)."""
        try:
            film = handler(data)
        except ValidationError as error:
            errors = error.errors()
            named = {e["loc"][0] for e in errors if e["loc"]}
            extra = [] if not isinstance(data, dict) else _slate_rules(data.get)
            extra = [(f, m) for f, m in extra if f not in named and not named & _RULE_FIELDS[f]]
            if not extra:
                raise
            details = [_detail(e) for e in errors]
            details += [InitErrorDetails(type=_refused(m), loc=(f,), input=None) for f, m in extra]
            raise ValidationError.from_exception_data(error.title, details) from None
        refused = _slate_rules(lambda name: getattr(film, name, None))
        if refused:
            raise ValidationError.from_exception_data(
                "Film",
                [InitErrorDetails(type=_refused(m), loc=(f,), input=None) for f, m in refused],
            )
        return film


class SlateRequest(BaseModel):
    """Films forecast together, with the analyst's assumptions for those that give none."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "films": [
                    EXAMPLE_PRE_RELEASE_FILM,
                    {**EXAMPLE_PRE_RELEASE_FILM, "budget": 40_000_000, "genres": ["Comedy"]},
                ],
                "studio_share": DEFAULT_STUDIO_SHARE,
                "marketing_usd": 20_000_000,
            }
        },
    )

    films: Annotated[list[SlateFilm], Field(min_length=1, max_length=MAX_SLATE)]
    studio_share: field_annotation(_FIELD["studio_share"]) = Field(  # type: ignore[valid-type]
        DEFAULT_STUDIO_SHARE,
        description=_FIELD["studio_share"].description + " Per film; a film's own overrides it.",
    )
    marketing_usd: field_annotation(_FIELD["marketing_usd"]) = Field(  # type: ignore[valid-type]
        DEFAULT_MARKETING_USD,
        description=_FIELD["marketing_usd"].description + " Per film; a film's own overrides it.",
    )


class Quantile(_Answer):
    level: float
    usd: float


class SlateTotal(_Answer):
    """The slate's totals: each film's amounts in its own release year's dollars (its
    ``dollars_year``), added up."""

    revenue_usd: float = Field(description="The median of the slate's total revenue, USD.")
    revenue_p10_usd: float
    revenue_p90_usd: float
    profit_usd: float = Field(description="The median of the slate's total profit, USD.")
    profit_p10_usd: float
    profit_p90_usd: float
    p_profit: float = Field(description="P(total profit > 0).")
    profit_quantiles: list[Quantile] = Field(
        description="The total profit's distribution: its quantiles at 5%, 10%, ..., 95%."
    )
    budget_usd: float = Field(description="The films' budgets, summed.")
    marketing_usd: float = Field(description="The films' marketing, summed.")


class SlateHits(_Answer):
    expected: float = Field(description="The expected number of hits: the films' P(hit) summed.")
    p10: int = Field(description="The 80% range of the number of hits: its low end ...")
    p90: int = Field(description="... and its high end.")
    at_least: list[float] = Field(description="P(at least k hits) for k = 0 .. the films.")


class SlateSimulation(_Answer):
    draws: int
    seed: int
    method: str


class SlateResult(_Answer):
    models: dict[FeatureSet, BatchModels]
    studio_share: float = Field(description="The slate's studio share (films may give their own).")
    marketing_usd: float = Field(description="The slate's marketing per film (idem).")
    films: list[FilmPrediction] = Field(description="Each film as /predict_batch answers it.")
    total: SlateTotal
    hits: SlateHits
    simulation: SlateSimulation
