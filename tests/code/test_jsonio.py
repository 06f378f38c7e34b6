"""serving.jsonio reads and writes JSON as pydantic_core does, by orjson where that is the same."""

from __future__ import annotations

import math

import numpy as np
import pydantic_core
import pytest

from serving import jsonio


def test_dumps_writes_pydantic_cores_bytes() -> None:
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2**64, 200_000, dtype=np.uint64)
    floats = [x for x in bits.view(np.float64).tolist() if math.isfinite(x)]
    floats += [0.0, -0.0, 5e-324, 1e16, 1e-7, 1.7976931348623157e308, 2.5e15, 123456789.0]
    text = [
        "".join(chr(c) for c in range(start, start + 256) if not 0xD800 <= c <= 0xDFFF)
        for start in range(0, 0x110000, 256)
    ]
    values = {
        "floats": floats,
        "text": text,
        "ints": [0, -1, 2**63 - 1, -(2**63), 2**64 - 1],
        "other": [True, False, {"é": [], "": {}}],
    }
    assert jsonio.dumps(values) == pydantic_core.to_json(values)


@pytest.mark.parametrize(
    "value",
    [
        [1.0, math.nan],
        {"a": math.inf},
        [-math.inf],
        {"explanation": None},
        [np.float64(1.5)],
        [2**64],
        ["null"],
    ],
)
def test_dumps_leaves_what_orjson_writes_otherwise_to_pydantic_core(value) -> None:
    assert jsonio.dumps(value) == pydantic_core.to_json(value)


def test_loads_reads_what_pydantic_core_reads() -> None:
    body = pydantic_core.to_json(
        {
            "films": [
                {"title": "Zoë \u2028 \x00", "budget": 1.5e8, "runtime": 101, "genres": ["Drama"]},
                {"budget": 5e-324, "popularity": -0.0, "vote_count": 2**63 - 1, "x": None},
            ]
        }
    )
    assert jsonio.loads(body) == pydantic_core.from_json(body)
    for beyond in (b'{"a":NaN}', b'{"a":-Infinity}', b'{"a":1e400}'):
        assert repr(jsonio.loads(beyond)) == repr(pydantic_core.from_json(beyond))
    # An integer beyond 64 bits: the same value, as a float.
    assert jsonio.loads(b"[18446744073709551616]") == [float(2**64)]
    for bad in (b"", b'{"a":1}{"b":2}', b'{"a":"\\ud800"}', b"\xef\xbb\xbf{}", b"[01]"):
        with pytest.raises(ValueError):
            jsonio.loads(bad)
