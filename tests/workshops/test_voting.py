from __future__ import annotations

import threading

import pytest
from sqlalchemy.exc import IntegrityError

from rm_core.errors import UserError
from rm_core.store.db import write_session
from rm_core.store.models import Vote
from rm_core.workshops import (add_idea, cast_vote, join, load_board, not_voted, retract_vote, set_phase, tally,
                               votes_left, voting_status)
from tests.workshops.conftest import open_workshop


def to_vote(w, n_ideas=3):
    ideas = [add_idea(w.id, w.ana, f"idea {n}", w.prompt) for n in range(n_ideas)]
    set_phase(w.id, "group", w.facilitator)
    set_phase(w.id, "vote", w.facilitator)
    return ideas


def test_each_person_has_the_votes_the_facilitator_set_and_no_more(state, facilitator):
    w = open_workshop(facilitator, votes_per_person=2, max_votes_per_idea=1)
    a, b, c = to_vote(w)
    assert cast_vote(w.id, w.ben, a).votes_left == 1
    assert cast_vote(w.id, w.ben, b).votes_left == 0
    with pytest.raises(UserError, match="used all 2 of your votes"):
        cast_vote(w.id, w.ben, c)
    assert votes_left(w.id, w.ben) == 0


def test_one_person_gives_one_idea_at_most_the_per_idea_limit(state, facilitator):
    w = open_workshop(facilitator, votes_per_person=5, max_votes_per_idea=2)
    a, *_ = to_vote(w)
    cast_vote(w.id, w.ben, a)
    assert cast_vote(w.id, w.ben, a).votes_on_idea == 2
    with pytest.raises(UserError, match="most votes one person may \\(2\\)"):
        cast_vote(w.id, w.ben, a)
    assert cast_vote(w.id, w.cai, a).votes_on_idea == 1  # the limit is per person


def test_taking_a_vote_back_frees_it_for_another_idea(state, facilitator):
    w = open_workshop(facilitator, votes_per_person=1)
    a, b, _ = to_vote(w)
    cast_vote(w.id, w.ben, a)
    assert retract_vote(w.id, w.ben, a).votes_left == 1
    with pytest.raises(UserError, match="no vote on this idea"):
        retract_vote(w.id, w.ben, a)
    cast_vote(w.id, w.ben, b)
    assert [(t.idea_id, t.votes) for t in tally(w.id)][:1] == [(b, 1)]


def test_the_tally_counts_votes_and_voters_per_idea_most_voted_first(workshop):
    a, b, c = to_vote(workshop)
    for person in (workshop.ana, workshop.ben, workshop.cai):
        cast_vote(workshop.id, person, b)
    cast_vote(workshop.id, workshop.ben, c)
    assert [(t.idea_id, t.votes, t.voters) for t in tally(workshop.id)] == [(b, 3, 3), (c, 1, 1), (a, 0, 0)]


def test_votes_are_cast_only_in_the_vote_phase(workshop):
    idea = add_idea(workshop.id, workshop.ana, "idea", workshop.prompt)
    with pytest.raises(UserError, match="vote only in the Vote phase"):
        cast_vote(workshop.id, workshop.ben, idea)


def test_the_facilitator_may_opt_out_of_voting_and_then_is_not_waited_for(state, facilitator):
    w = open_workshop(facilitator, facilitator_votes=False)
    a, *_ = to_vote(w)
    with pytest.raises(UserError, match="facilitator does not vote"):
        cast_vote(w.id, w.host, a)
    cast_vote(w.id, w.ana, a)
    assert not_voted(w.id) == ["Ben", "Cai"]
    assert load_board(w.id, w.host).not_voted == ["Ben", "Cai"]
    assert load_board(w.id, w.ana).not_voted == []  # only the facilitator sees who is missing
    assert {v.display_name: v.votes_left for v in voting_status(w.id)} == {"Ana": 4, "Ben": 5, "Cai": 5}


def test_the_database_itself_refuses_a_second_vote_in_the_same_slot(workshop):
    a, b, _ = to_vote(workshop)
    cast_vote(workshop.id, workshop.ben, a)
    with pytest.raises(IntegrityError):
        with write_session() as s:
            s.add(Vote(session_id=workshop.id, participant_id=workshop.ben, idea_id=b, slot=0, idea_slot=0))


def _race(fn, args_list):
    barrier = threading.Barrier(len(args_list))
    outcomes = []
    lock = threading.Lock()

    def run(args):
        barrier.wait()
        try:
            fn(*args)
            result = "ok"
        except UserError as exc:
            result = str(exc)
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(a,)) for a in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.postgres
def test_one_person_voting_from_several_browsers_at_once_never_passes_a_limit(state, facilitator, backend):
    w = open_workshop(facilitator, votes_per_person=3, max_votes_per_idea=1)
    ideas = to_vote(w, n_ideas=4)
    # 8 simultaneous clicks: 2 on each idea. At most one lands per idea and at most 3 in all.
    outcomes = _race(cast_vote, [(w.id, w.ben, ideas[n % 4]) for n in range(8)])
    assert outcomes.count("ok") == 3
    assert all(o == "ok" or "used all 3" in o or "most votes one person may" in o for o in outcomes)
    counts = {t.idea_id: t.votes for t in tally(w.id)}
    assert sum(counts.values()) == 3 and max(counts.values()) == 1


@pytest.mark.postgres
def test_many_people_voting_at_once_all_count_and_tallies_match(state, facilitator, backend):
    w = open_workshop(facilitator, votes_per_person=2, max_votes_per_idea=2)
    idea = to_vote(w, n_ideas=1)[0]
    people = [join(w.id, f"P{n}").id for n in range(12)]
    outcomes = _race(cast_vote, [(w.id, p, idea) for p in people for _ in range(3)])
    assert outcomes.count("ok") == 24  # each person: 2 of their 3 clicks land
    assert tally(w.id)[0].votes == 24 and tally(w.id)[0].voters == 12


@pytest.mark.postgres
def test_two_people_joining_with_the_same_name_at_once_get_one_place(state, facilitator, backend):
    w = open_workshop(facilitator)
    outcomes = _race(join, [(w.id, "Dee")] * 6)
    assert outcomes.count("ok") == 1
    assert all(o == "ok" or "already called “Dee”" in o for o in outcomes)
