"""A small built-in set of English sentence pairs with 0-5 similarity scores, for demos without any data.

The pairs were written for rcsim (they are not taken from any data set) and scored by the
STS annotation guideline:

* 5 - completely equivalent: they mean the same thing;
* 4 - mostly equivalent: some unimportant details differ;
* 3 - roughly equivalent: some important information differs or is missing;
* 2 - not equivalent, but they share some details;
* 1 - not equivalent, but on the same topic;
* 0 - on different topics.

Several pairs share many words but little meaning (or the reverse), so that a bag-of-words
baseline does not rank them perfectly.
"""

from __future__ import annotations

from rcsim_env.data.pairs import ScoredPair

_PAIRS: tuple[tuple[str, str, float], ...] = (
    # 5: equivalent
    ("The library closes at six on weekdays.", "On weekdays, the library shuts at 6 p.m.", 5.0),
    ("She forgot her umbrella at the bakery.", "She left her umbrella behind at the bakery.", 5.0),
    (
        "The committee postponed the vote until next month.",
        "The vote was delayed by the committee to next month.",
        5.0,
    ),
    ("Our train was cancelled because of the storm.", "The storm caused our train to be cancelled.", 5.0),
    ("He bought three kilograms of apples.", "He purchased 3 kg of apples.", 5.0),
    ("Nobody answered the phone at the hotel.", "No one at the hotel picked up the phone.", 5.0),
    (
        "The museum is free for children under twelve.",
        "Kids younger than twelve get into the museum for free.",
        4.8,
    ),
    ("The meeting has been moved to Thursday.", "The meeting was rescheduled for Thursday.", 4.8),
    # 4: unimportant details differ
    (
        "The cat slept on the warm windowsill all afternoon.",
        "All afternoon the cat dozed on the sunny windowsill.",
        4.5,
    ),
    (
        "Tickets for the concert sold out in an hour.",
        "The concert tickets were all gone within about an hour.",
        4.5,
    ),
    (
        "The company reported higher profits this quarter.",
        "The firm said on Tuesday that its quarterly profits rose.",
        4.0,
    ),
    (
        "A cyclist repaired a flat tyre by the roadside.",
        "Near a farm, a cyclist fixed his punctured tyre at the side of the road.",
        4.0,
    ),
    (
        "The mayor opened the new bridge on Saturday.",
        "On Saturday the city's mayor opened the new bridge with a short speech.",
        4.0,
    ),
    (
        "The kids watched a film about dinosaurs.",
        "At school the children saw a documentary about dinosaurs.",
        3.8,
    ),
    # 3: important information differs or is missing
    (
        "Two children are building a sandcastle on the beach.",
        "Kids are making something out of sand at the seaside.",
        3.5,
    ),
    ("The price of coffee rose sharply in March.", "Coffee prices went up in the spring.", 3.2),
    (
        "Maria flew to Lisbon on Monday to visit her sister.",
        "Maria travelled to Lisbon to see her sister.",
        3.0,
    ),
    (
        "The school will close early on Friday because of the heat.",
        "The school will close early on Friday.",
        3.0,
    ),
    (
        "The orchestra played Beethoven's fifth symphony last night.",
        "The orchestra gave a concert last night.",
        3.0,
    ),
    ("The storm knocked down power lines across the county.", "A storm caused damage in the county.", 3.0),
    ("The bakery on Elm Street sells bread, cakes and pies.", "The bakery sells bread.", 2.8),
    ("A man is jogging along the river with his dog.", "A man is walking along the river.", 2.8),
    # 2: not equivalent, but some details shared
    ("The dog chased the ball across the park.", "A dog ran across the park.", 2.5),
    ("The football team won its match on Sunday.", "The football team lost its match on Sunday.", 2.4),
    ("A woman is slicing onions in the kitchen.", "A woman is washing dishes in the kitchen.", 2.0),
    (
        "The train to Glasgow departs from platform four.",
        "The bus to Glasgow leaves the station at noon.",
        2.0,
    ),
    (
        "My brother teaches mathematics at a high school.",
        "My brother studied mathematics at university.",
        2.0,
    ),
    ("The new phone has a larger battery than the old model.", "The new phone comes in three colours.", 1.8),
    # 1: same topic only
    ("The chef prepared a spicy curry for the guests.", "The guests said they prefer mild food.", 1.5),
    (
        "The volcano erupted early on Thursday morning.",
        "Scientists study volcanoes to predict eruptions.",
        1.2,
    ),
    ("The recipe calls for two cups of flour.", "Baking bread at home has become popular.", 1.0),
    (
        "The election results will be announced tonight.",
        "Voters complained about long queues at polling stations.",
        1.0,
    ),
    ("The marathon starts at the harbour at eight.", "Running long distances can damage your knees.", 1.0),
    ("The airline lost my suitcase on the way to Rome.", "Rome's airport is being expanded.", 1.0),
    ("Our neighbour planted tomatoes in the garden.", "The garden centre is closed on Sundays.", 0.8),
    # 0: different topics
    ("The farmer sold his cows at the market.", "The market square was decorated for the festival.", 0.4),
    ("The bank raised its fees for small businesses.", "We had a picnic on the river bank.", 0.2),
    (
        "The violinist tuned her instrument before the show.",
        "Interest rates were left unchanged by the central bank.",
        0.0,
    ),
    ("A penguin waddled across the ice.", "The printer on the third floor is out of toner.", 0.0),
    ("He is reading a novel on the bus.", "The soup needs more salt.", 0.0),
    ("The children are painting in the classroom.", "The stock market fell for a third day.", 0.0),
)


def builtin_pairs() -> list[ScoredPair]:
    """Return the built-in pairs (about 40) with gold scores spread over 0-5.

    Pair ids are ``builtin:1`` ... ``builtin:<n>``. A new list is returned on each call; the pairs
    themselves are immutable.
    """
    return [
        ScoredPair(sentence_a=a, sentence_b=b, score=score, pair_id=f"builtin:{number}")
        for number, (a, b, score) in enumerate(_PAIRS, start=1)
    ]
