from rm_core.ai.extractive import best_sentences, central_sentences, keyphrases, sentences

TEXT = ("The seller listed gift cards at a discount. Buyers said the gift cards were already redeemed. "
        "The weather was fine. The payout bank account changed before the gift cards sold out.")


def test_sentences_split_on_full_stops_and_lines_and_drop_bullets():
    assert sentences("- First one here.\n* Second one here! Third one?") == [
        "First one here.", "Second one here!", "Third one?"]


def test_central_sentences_are_the_ones_most_like_the_rest_in_text_order():
    assert central_sentences(TEXT, 2) == ["The seller listed gift cards at a discount.",
                                          "Buyers said the gift cards were already redeemed."]
    assert "weather" not in " ".join(central_sentences(TEXT, 3))


def test_keyphrases_are_content_word_runs_with_their_sentence():
    phrases = keyphrases(TEXT, 3)
    assert phrases[:2] == [("gift cards", "The seller listed gift cards at a discount."),
                           ("payout bank", "The payout bank account changed before the gift cards sold out.")]
    assert all(sentence in TEXT for _, sentence in phrases)


def test_best_sentences_share_words_with_the_reference_or_none():
    sents = sentences(TEXT)
    assert best_sentences(sents, "payout bank", 1) == [sents[3]]
    assert best_sentences(sents, "forklift", 1) == []
