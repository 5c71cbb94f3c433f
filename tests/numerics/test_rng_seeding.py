"""The vectorised seed hash equals numpy's SeedSequence word for word, so every stream
(and every stored result) is unchanged by building generators in bulk."""

from __future__ import annotations

import numpy as np
import pytest

from stl.numerics.errors import InputError
from stl.numerics.rng import ReplicateStreams, _purpose_key, replicate_generator, replicate_generators, seed_states


@pytest.mark.parametrize("seed", [0, 1, 7, 2 ** 31, 2 ** 32 + 5, 2 ** 64 + 3, 2 ** 130 + 11, 123456789012345])
def test_seed_states_equal_numpys_seed_sequence(seed):
    rng = np.random.default_rng(seed % 1000)
    ids = np.concatenate([[0, 1, 2 ** 32 - 1], rng.integers(0, 2 ** 32, size=20)])
    for purpose in ("real", "synthetic", str(rng.integers(10 ** 6))):
        states = seed_states(seed, ids, purpose)
        for k, r in enumerate(ids):
            ref = np.random.SeedSequence(entropy=seed, spawn_key=(int(r), _purpose_key(purpose))).generate_state(
                4, np.uint64)
            assert (states[k] == ref).all(), (seed, r, purpose)


def test_bulk_generators_draw_what_one_by_one_generators_draw():
    bulk = replicate_generators(11, np.arange(5, 12), "noise")
    single = [replicate_generator(11, r, "noise") for r in range(5, 12)]
    for a, b in zip(bulk, single):
        assert (a.standard_normal(6) == b.standard_normal(6)).all()
    whole = ReplicateStreams(11, 12).normal("noise", (6,))
    part = ReplicateStreams(11, 7, first=5).normal("noise", (6,))
    assert (whole[5:] == part).all()


def test_replicate_ids_beyond_32_bits_are_refused():
    with pytest.raises(InputError):
        seed_states(0, np.array([2 ** 32]), "real")
