import numpy as np
from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from rm_core.mos.embeddings import DIMENSIONS, HashEmbeddings, MiniLMEmbeddings, get_embeddings
from rm_core.settings import load_settings


class TestMiniLMEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self):
        return MiniLMEmbeddings


class TestMiniLMEmbeddingsIntegration(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self):
        return MiniLMEmbeddings


class TestHashEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self):
        return HashEmbeddings


class TestHashEmbeddingsIntegration(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self):
        return HashEmbeddings


def test_settings_choose_the_embeddings_and_one_instance_serves_the_process(tmp_path):
    hashed = load_settings({"RM_HOME": str(tmp_path), "RM_EMBEDDINGS": "hash"})
    local = load_settings({"RM_HOME": str(tmp_path), "RM_EMBEDDINGS": "local"})
    assert isinstance(get_embeddings(hashed), HashEmbeddings)
    assert isinstance(get_embeddings(local), MiniLMEmbeddings)
    assert get_embeddings(local) is get_embeddings(local)


def test_the_local_model_gives_unit_vectors_that_place_paraphrases_close():
    model = MiniLMEmbeddings()
    a, b, c = np.array(model.embed_documents([
        "seller changes the payout bank account before disbursement",
        "merchant swaps the deposit account right before getting paid",
        "recipe for a chocolate cake"]))
    assert len(a) == DIMENSIONS and abs(np.linalg.norm(a) - 1) < 1e-5
    assert a @ b > a @ c + 0.2
    assert np.allclose(model.embed_query("seller changes the payout bank account before disbursement"), a, atol=1e-5)


def test_hash_embeddings_are_deterministic_and_never_zero():
    model = HashEmbeddings()
    assert model.embed_query("gift cards") == model.embed_query("gift cards")
    assert abs(np.linalg.norm(model.embed_query("")) - 1) < 1e-6
