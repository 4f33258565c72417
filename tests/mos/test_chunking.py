from rm_core.mos.chunking import CHUNK_CHARS, chunk_mo, split_text
from rm_core.mos.records import MODoc


def test_a_short_write_up_is_one_chunk_carrying_its_title():
    chunks = chunk_mo(MODoc("MO-1", "Brushing", "Sellers ship parcels to strangers.", {}))
    assert [c.chunk_id for c in chunks] == ["MO-1::0"]
    assert chunks[0].embed_text == "Brushing. Sellers ship parcels to strangers."
    assert chunks[0].keyword_text == "MO-1 Brushing Sellers ship parcels to strangers."


def test_a_long_write_up_is_cut_into_overlapping_chunks_no_longer_than_the_limit():
    sentences = [f"Sentence number {i} describes one more signal of the behaviour." for i in range(80)]
    chunks = chunk_mo(MODoc("MO-2", "Long", " ".join(sentences), {}))
    assert len(chunks) > 3
    assert all(len(c.passage) <= CHUNK_CHARS for c in chunks)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    # every sentence survives in some chunk, and neighbours overlap
    joined = " ".join(c.passage for c in chunks)
    assert all(s in joined for s in sentences)
    assert chunks[0].passage.split()[-1] in chunks[1].passage


def test_an_mo_without_text_still_has_one_chunk_so_its_title_is_findable():
    chunks = chunk_mo(MODoc("MO-3", "Title only", "   ", {}))
    assert len(chunks) == 1 and chunks[0].passage == "" and chunks[0].embed_text == "Title only"


def test_split_text_prefers_paragraph_breaks():
    text = ("a" * 500) + "\n\n" + ("b" * 500)
    assert split_text(text) == ["a" * 500, "b" * 500]
