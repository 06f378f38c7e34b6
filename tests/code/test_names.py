"""Names as typed, read as the names the models know: a company's or a keyword's spelling
that differs only in case, spaces or punctuation is read as the known name and the film told;
a company that may mean a known one is named beside it; a film of unknown companies is told."""

from __future__ import annotations

from boxoffice.features import ListColumn
from serving.names import KnownNames, folded
from serving.schema import EXAMPLE_PRE_RELEASE_FILM, Film
from tests.helpers.models import tiny_predictor

COMPANIES = [
    "Warner Bros.",
    "Marvel Studios",
    "Legendary Pictures",
    "IFC Films",
    "Ciné+",
    "DreamWorks",
    "Dreamworks",  # two known names folding alike: neither is guessed
    "Columbia Pictures",
    "Golar Productions",
    "Film4",
    "uFilm",
    *(f"The {name} Company" for name in ("Saul Zaentz", "Weinstein", "Kennedy", "Jim Henson")),
]


def read(companies: list[list[str] | None], keywords: list[list[str] | None] | None = None):
    names = KnownNames(
        {"production_companies": COMPANIES, "keywords": ["superhero", "time bomb", "timebomb"]}
    )
    columns = {"production_companies": ListColumn(companies)}
    if keywords is not None:
        columns["keywords"] = ListColumn(keywords)
    told = names.read(columns)
    return columns, told


def test_folding_sets_aside_case_spaces_and_punctuation_only() -> None:
    assert folded("Warner Bros") == folded("warner bros.") == folded("WARNER-BROS")
    assert folded("Ciné@") != folded("Ciné+")


def test_a_spelling_of_a_known_name_is_read_as_it_and_the_film_told() -> None:
    columns, told = read(
        [["warner bros", "Marvel Studios"], None, ["Ciné@"]], [["Superhero"], [], None]
    )
    assert list(columns["production_companies"]) == [
        ["Warner Bros.", "Marvel Studios"],
        None,
        ["Ciné@"],
    ]
    assert list(columns["keywords"]) == [["superhero"], [], None]
    assert told[0] == [
        "production_companies: 'warner bros' read as 'Warner Bros.', the name the models know",
        "keywords: 'Superhero' read as 'superhero', the name the models know",
    ]
    assert 1 not in told


def test_a_company_that_may_mean_a_known_one_is_scored_as_unknown_and_named() -> None:
    columns, told = read([["Marvel Studio"], ["Legendary"], ["IAC Films"], ["dreamworks"]])
    assert columns["production_companies"][0] == ["Marvel Studio"]  # not guessed
    assert told[0] == [
        "production_companies: 'Marvel Studio': no track record in the films the models "
        "learned from, scored as unknown; did you mean 'Marvel Studios'?"
    ]
    assert "did you mean 'Legendary Pictures'?" in told[1][0]
    # a short word a letter away is another company: the film is told only that none of its
    # companies is known; a spelling two known names share is neither: both are named
    assert told[2] == [
        "production_companies: 'IAC Films': no track record in the films the models learned "
        "from, scored as a film of unknown companies"
    ]
    assert columns["production_companies"][3] == ["dreamworks"]
    assert told[3][0].endswith("did you mean 'DreamWorks', 'Dreamworks'?")


def test_a_guess_needs_a_long_word_its_first_letters_and_few_candidates() -> None:
    """One letter in a word of five or more, each word's first letter kept; a name that begins
    more than three known ones says too little."""
    _, told = read([["Colombia Pictures"], ["Polar Productions"], ["Films"], ["The"]])
    assert told[0][0].endswith("did you mean 'Columbia Pictures'?")
    assert told[2][0].endswith("did you mean 'Film4'?")  # one letter changed; uFilm is two
    for row in (1, 3):  # not Golar; not the four The ...
        assert told[row][0].endswith("scored as a film of unknown companies"), told[row]


def test_a_keyword_folding_alike_with_two_known_ones_names_both() -> None:
    columns, told = read([[]], [["Time Bomb"]])
    assert columns["keywords"][0] == ["Time Bomb"]
    assert told[0] == [
        "keywords: 'Time Bomb': no track record in the films the models learned from, scored "
        "as unknown; did you mean 'time bomb', 'timebomb'?"
    ]


def test_full_width_letters_and_zero_width_spaces_fold_away() -> None:
    columns, told = read([["\uff37arner Bros."], ["Warner\u200b Bros."]])
    assert list(columns["production_companies"]) == [["Warner Bros."], ["Warner Bros."]]
    assert set(told) == {0, 1}


def test_a_film_of_unknown_companies_is_told_of_those_it_was_not_told_of() -> None:
    _, told = read([["Legendary", "Foo Bar Films"]])
    assert told[0][0].startswith("production_companies: 'Legendary': no track record")
    assert told[0][1] == (
        "production_companies: 'Foo Bar Films': no track record in the films the models "
        "learned from, scored as a film of unknown companies"
    )


def test_a_film_with_one_known_company_is_not_told_of_its_others() -> None:
    _, told = read([["Warner Bros.", "Some Tiny Outfit"], ["Some Tiny Outfit"], []])
    assert 0 not in told and 2 not in told and "scored as a film of unknown companies" in told[1][0]


def test_the_same_batch_read_twice_reads_the_same() -> None:
    names = KnownNames({"production_companies": COMPANIES})
    said = []
    for _ in range(2):
        columns = {
            "production_companies": ListColumn([["warner bros"], ["Nobody"], ["Marvel Studio"]])
        }
        said.append((names.read(columns), list(columns["production_companies"])))
    assert said[0] == said[1]


def test_the_service_forecasts_a_spelling_as_the_known_name() -> None:
    predictor = tiny_predictor()

    def answer(companies: list[str]) -> dict:
        film = Film.model_validate({**EXAMPLE_PRE_RELEASE_FILM, "production_companies": companies})
        return predictor.revenue([film])[0]

    known, typed = answer(["Big Studio"]), answer(["big studio"])
    assert typed["revenue_usd"] == known["revenue_usd"]
    assert typed["warnings"] == [
        "production_companies: 'big studio' read as 'Big Studio', the name the models know",
        *known["warnings"],
    ]
    assert answer(["Nobody"])["warnings"][0].startswith("production_companies: 'Nobody': no track")


def test_names_written_as_one_with_commas_are_said_to_be_several() -> None:
    """A CSV cell "Warner Bros., Legendary Pictures" (a list separated by ', ', as training
    reads a column without |) is one name to the API: scored as unknown, and said to hold
    several, each time it comes (not only the first, when the reading is cached)."""
    for _ in range(2):
        columns, told = read(
            [["Warner Bros., Legendary Pictures"], ["Foo, Bar"]], [["superhero; time bomb"], []]
        )
        assert list(columns["production_companies"]) == [
            ["Warner Bros., Legendary Pictures"],
            ["Foo, Bar"],
        ]
        assert told[0][0] == (
            "production_companies: 'Warner Bros., Legendary Pictures' holds several names "
            "('Warner Bros.', 'Legendary Pictures'): give each as its own item, or in a CSV "
            "cell separated by |; scored as one name the models do not know"
        )
        assert told[0][1].startswith("keywords: 'superhero; time bomb' holds several names")
        assert not any("holds several" in m for m in told.get(1, []))  # no part is known
