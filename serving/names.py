"""Names as an analyst types them, read as the names the models know.

The models know a production company, a keyword, a director or a cast member by its exact TMDB
spelling: "Warner Bros" (no full stop) or "warner bros." is a company the models never saw, and
a $150M film of either was forecast at half the revenue of the same film of "Warner Bros.",
with nothing said. Before the models read a batch (``KnownNames.read``):

- a name the models do not know, equal to one they do once case, spaces and punctuation
  (full stops, commas, hyphens, quotes, brackets; not ``&``, ``+`` or ``@``) are set aside
  (``folded``), is read as that one, and the film is told so;
- a company the models do not know whose words begin at most three companies they do know
  ("Legendary" for "Legendary Pictures"; "The" begins too many to say), or that is one letter
  from a known one (added, left out, changed or two swapped) in a word of five letters or more,
  every word beginning with the same letter ("Marvel Studio", "Colombia Pictures"), is scored
  as unknown, as it was, and the film is told the names it may mean (a one-film company of
  TMDB's own is such a name now and then: it is told too);
- a company or keyword that folds alike with several known names ("lions gate": "Lions Gate",
  "LionsGate", "Lionsgate"; "Time Bomb": "time bomb", "timebomb") is scored as unknown and
  the film is told those names, none of which is guessed;
- a film none of whose companies the models know is told it was scored as a film of unknown
  companies (9% of the published table's films are).

Every answer reads the batch so read (forecasts, comparable films, slates), so they agree.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from typing import Any

import numpy as np

from boxoffice.features import ListColumn
from boxoffice.messages import SEVERAL, some
from serving.cells import one_edit

# The list fields whose names the models know one by one (a track record, an indicator).
NAMED_FIELDS = ("production_companies", "keywords", "directors", "cast")
# The fields whose unknown names are matched to known ones by their first words or a letter.
SUGGESTED_FIELDS = ("production_companies",)
# The fields whose films are told the known names an unknown one folds alike with, when it
# folds alike with several (the credits' unknown names are told already: serving.predictor).
AMBIGUOUS_SAID = ("production_companies", "keywords")
# The fields whose films are told when the models know none of their names (the credits are
# told of each unknown name: serving.predictor).
NONE_KNOWN_SAID = ("production_companies",)
_SET_ASIDE = re.compile(r"[\s.,\-_'\u2019`\"()\[\]{}:;!?/\\\u200b-\u200d\u2060\ufeff]+")
# What joins names written as one: "Warner Bros., Legendary Pictures", "ghost; halloween".
_JOINS = re.compile(r"[,;]\s")
_WORD_BREAK = re.compile(r"[\s\-/]+")
_CACHE_SIZE = 200_000
# A name whose first words begin more known names than this says too little to guess from
# ("The", "Film", "Studio").
_MAX_STARTS = 3
# A word shorter than this is not matched a letter away: "IAC Films" is not "IFC Films".
_MIN_EDITED = 5


def folded(name: str) -> str:
    """A name without case, spaces or punctuation, its characters in their common form (NFKC:
    a full-width letter is the letter): 'Warner Bros' and 'warner bros.' are one."""
    return _SET_ASIDE.sub("", unicodedata.normalize("NFKC", name).casefold())


def _words(name: str) -> list[str]:
    return [w for w in (folded(part) for part in _WORD_BREAK.split(name)) if w]


def _edited(words: list[str], shortest: int) -> set[str]:
    """The keys of ``words`` with one of its words of ``shortest`` letters or more as it is or
    with one letter left out: two names share a key when they differ by one letter (added,
    left out or changed) in one such word."""
    keys = set()
    for j, word in enumerate(words):
        if len(word) >= shortest:
            for variant in {word} | _deletions(word):
                keys.add(" ".join([*words[:j], "~" + variant, *words[j + 1 :]]))
    return keys


def _one_letter_away(words: list[str], key: str, known: str) -> bool:
    """Whether a name (its ``words``, folded ``key``) is one letter from the ``known`` one (added,
    left out, changed, or two swapped), each word beginning with the same letter: "Colombia
    Pictures" is "Columbia Pictures" mistyped; "Polar Productions" is not "Golar Productions"."""
    other = _words(known)
    return (
        len(other) == len(words)
        and all(a[0] == b[0] for a, b in zip(words, other, strict=True))
        and one_edit(key, folded(known))
    )


def _deletions(key: str) -> set[str]:
    """``key`` with one letter left out, each way."""
    return {key[:i] + key[i + 1 :] for i in range(len(key))}


class KnownNames:
    """The names the models know, by field (see the module)."""

    def __init__(self, known: Mapping[str, Collection[str]]) -> None:
        self.known = {field: frozenset(names) for field, names in known.items() if names}
        self._by_folded: dict[str, dict[str, list[str]]] = {}
        self._by_words: dict[str, dict[str, list[str]]] = {}
        self._by_deletion: dict[str, dict[str, list[str]]] = {}
        for field, names in self.known.items():
            spellings: dict[str, list[str]] = {}
            for name in sorted(names):
                spellings.setdefault(folded(name), []).append(name)
            self._by_folded[field] = spellings
            if field in SUGGESTED_FIELDS:
                starts: dict[str, list[str]] = {}
                deleted: dict[str, list[str]] = {}
                for name in sorted(names):
                    words = _words(name)
                    for k in range(1, len(words)):
                        starts.setdefault(" ".join(words[:k]), []).append(name)
                    for key in _edited(words, _MIN_EDITED):
                        deleted.setdefault(key, []).append(name)
                self._by_words[field] = starts
                self._by_deletion[field] = deleted
        # What was found for each unknown name read so far; and the names with nothing to say:
        # the known ones and the unknown ones found to have none (passed over in one look-up).
        self._read: dict[tuple[str, str], tuple[str | None, list[str]]] = {}
        self._passed: dict[str, set[str]] = {
            field: set(names) for field, names in self.known.items()
        }

    @classmethod
    def of_models(cls, features: list[Any], credits: list[Mapping[str, Any] | None]) -> KnownNames:
        """The names any of the fitted FilmFeatures ``features`` reads (its track records and
        indicators), and the credits' names of each model that reads credits."""
        known: dict[str, set[str]] = {field: set() for field in NAMED_FIELDS}
        for fitted in features:
            for field, table in getattr(fitted, "encodings_", {}).items():
                known.setdefault(field, set()).update(table)
            known["production_companies"].update(getattr(fitted, "companies_", []))
            known["keywords"].update(getattr(fitted, "keywords_", []))
        for tables in credits:
            for field, table in (tables or {}).items():
                known.setdefault(field, set()).update(table)
        return cls(known)

    def _reading(self, field: str, name: str) -> tuple[str | None, list[str], list[str]]:
        """The known name ``name`` is read as (None: none), else the known names it may mean,
        else the names it joins (``_joined``)."""
        found = self._read.get((field, name))
        if found is None:
            key = folded(name)
            alike = self._by_folded[field].get(key, [])
            canonical = alike[0] if len(alike) == 1 else None
            # Several known names fold alike: none is guessed, each is named.
            maybe = list(alike) if len(alike) > 1 and field in AMBIGUOUS_SAID else []
            if not canonical and field in self._by_words:
                words = _words(name)
                starts = self._by_words[field].get(" ".join(words), [])
                maybe += [m for m in starts if m not in maybe] if len(starts) <= _MAX_STARTS else []
                for edit in _edited(words, _MIN_EDITED - 1):
                    maybe += [
                        m
                        for m in self._by_deletion[field].get(edit, [])
                        if m not in maybe and _one_letter_away(words, key, m)
                    ]
            joined = [] if canonical or maybe else self._joined(field, name)
            found = (canonical, maybe, joined)
            passed = self._passed[field]
            if len(self._read) + len(passed) - len(self.known[field]) >= _CACHE_SIZE:
                self._read.clear()
                passed.intersection_update(self.known[field])
            if canonical or maybe or joined:
                self._read[(field, name)] = found
            else:  # most unknown names: passed over before the loop in ``read``
                passed.add(name)
        return found

    def _joined(self, field: str, name: str) -> list[str]:
        """The names an unknown one joins with commas or semicolons when the models know one
        of them at least ("Warner Bros., Legendary Pictures": a list written as one name, as a
        CSV cell separated by ', ' reads), else []."""
        parts = [part.strip() for part in _JOINS.split(name)]
        parts = [part for part in parts if part]
        if len(parts) < 2 or not any(folded(p) in self._by_folded[field] for p in parts):
            return []
        return parts

    def read(self, columns: dict[str, Any]) -> dict[int, list[str]]:
        """Replace, in ``columns`` (a batch's, by field), each name read as a known one, and
        return what each film is told, by its row."""
        told: dict[int, list[str]] = {}
        for field, known in self.known.items():
            cells = columns.get(field)
            if cells is None:
                continue
            listed = cells.listed if isinstance(cells, ListColumn) else ListColumn(cells).listed
            items, rows, passed = listed.items, listed.rows, self._passed[field]
            # One pass over the items, in C: where a name is neither known nor passed over.
            new = np.flatnonzero(
                ~np.fromiter(map(passed.__contains__, items), bool, len(items))
            ).tolist()
            unknown = {items[position] for position in new}
            renamed, maybe, joins = {}, {}, {}
            for name in unknown:
                canonical, suggestions, joined = self._reading(field, name)
                if canonical:
                    renamed[name] = canonical
                elif suggestions:
                    maybe[name] = suggestions
                elif joined:
                    joins[name] = joined
            said = {**renamed, **maybe, **joins}
            if not said and field not in NONE_KNOWN_SAID:
                continue
            at = [position for position in new if items[position] in said]
            for position in at:
                name, row = items[position], int(rows[position])
                if name in renamed:
                    message = (
                        f"{field}: {name!r} read as {renamed[name]!r}, the name the models know"
                    )
                elif name in joins:
                    message = (
                        f"{field}: {name!r} holds several names ({some(joins[name], 3)}): "
                        f"{SEVERAL}; scored as one name the models do not know"
                    )
                else:
                    message = (
                        f"{field}: {name!r}: no track record in the films the models learned "
                        f"from, scored as unknown; did you mean {some(maybe[name], 3)}?"
                    )
                if message not in told.setdefault(row, []):
                    told[row].append(message)
            if field in NONE_KNOWN_SAID:
                self._none_known(field, listed, known | set(renamed), told)
            if renamed:
                lists = list(listed.lists)
                for row in {int(rows[position]) for position in at}:
                    lists[row] = [renamed.get(name, name) for name in lists[row]]
                columns[field] = ListColumn(
                    [None if cell is None else lists[row] for row, cell in enumerate(cells)]
                )
        return told

    @staticmethod
    def _none_known(
        field: str, listed: Any, known: Collection[str], told: dict[int, list[str]]
    ) -> None:
        """Tell each film none of whose names (in ``field``) the models know that it was
        scored as a film of unknown companies, naming those it was not told of already."""
        hits = np.fromiter(
            map(known.__contains__, listed.items), dtype=bool, count=len(listed.items)
        )
        n_known = np.bincount(listed.rows, weights=hits, minlength=len(listed.lists))
        for row in np.flatnonzero((n_known == 0) & (listed.lengths > 0)).tolist():
            said = told.get(row, [])
            names = [
                name
                for name in dict.fromkeys(listed.lists[row])
                if not any(message.startswith(f"{field}: {name!r}") for message in said)
            ]
            if not names:
                continue
            told.setdefault(row, []).append(
                f"{field}: {some(names, 3)}: no track record in the films the models learned "
                "from, scored as a film of unknown companies"
            )
