import math

import pytest

from rcsim_env.errors import InvalidLabelError
from rcsim_env.oracles import checked_judgement


class Judge:
    nondeterministic = False


@pytest.mark.parametrize("bad", [math.nan, -1, 5.5, "4", [3.0]])
def test_invalid_answers_name_the_oracle(bad):
    with pytest.raises(InvalidLabelError, match="Judge"):
        checked_judgement(bad, Judge())


def test_skips_and_valid_answers_pass():
    assert checked_judgement(None, Judge()) is None
    assert checked_judgement(4, Judge()) == 4.0
