"""POST /v1/embeddings, driven by the official openai SDK as a notebook would drive it.

The vectors come from the shipped static model (course.sim.meaning): these tests check the API
contract and that the vectors carry meaning beyond shared words, as docs/SIMULATOR.md promises.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import numpy as np
import openai
import pytest

from course.models import catalog
from course.retrieval.embeddings import SimEmbedder
from course.sim import FaultPlan, Simulator
from course.sim.server import SimServer, serve_in_thread


@pytest.fixture(scope="module")
def server() -> Iterator[SimServer]:
    with serve_in_thread() as running:
        yield running


@pytest.fixture
def client(server: SimServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="sim", max_retries=0, timeout=5)


TEXTS = ["refund my duplicate charge", "please refund the duplicate charge", "money back"]


def test_embeddings_create_returns_unit_vectors_and_usage(client: openai.OpenAI) -> None:
    response = client.embeddings.create(model="sim-embed", input=TEXTS)
    assert response.model == "sim-embed"
    assert [d.index for d in response.data] == [0, 1, 2]
    vectors = np.array([d.embedding for d in response.data])
    assert vectors.shape == (3, 256)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert response.usage.prompt_tokens == response.usage.total_tokens > 0


def test_vectors_are_the_shipped_model_and_carry_meaning(client: openai.OpenAI) -> None:
    texts = ["my package never showed up", "the parcel was not delivered", "reset my password"]
    vectors = np.array(
        [d.embedding for d in client.embeddings.create(model="sim-embed", input=texts).data]
    )
    assert np.allclose(vectors, SimEmbedder().embed(texts), atol=1e-6)
    similarity = vectors @ vectors.T
    # No word in common, same meaning: closer than the unrelated request.
    assert similarity[0, 1] > similarity[0, 2] + 0.1


def test_fewer_dimensions_keep_the_leading_ones_and_more_are_refused(
    client: openai.OpenAI,
) -> None:
    full = np.array(client.embeddings.create(model="sim-embed", input="hello").data[0].embedding)
    short = np.array(
        client.embeddings.create(model="sim-embed", input="hello", dimensions=64).data[0].embedding
    )
    assert np.allclose(short, full[:64] / np.linalg.norm(full[:64]), atol=1e-6)
    with pytest.raises(openai.BadRequestError) as info:
        client.embeddings.create(model="sim-embed", input="hello", dimensions=512)
    assert "1..256" in info.value.message


def test_float_and_base64_encodings_agree(client: openai.OpenAI) -> None:
    as_floats = client.embeddings.create(
        model="sim-embed", input="hello world", encoding_format="float"
    )
    as_base64 = client.embeddings.create(model="sim-embed", input="hello world")  # SDK default
    assert np.allclose(as_floats.data[0].embedding, as_base64.data[0].embedding, atol=1e-7)


def test_dimensions_and_determinism(client: openai.OpenAI, server: SimServer) -> None:
    small = client.embeddings.create(model="sim-embed", input="hello", dimensions=64)
    assert len(small.data[0].embedding) == 64
    again = openai.OpenAI(base_url=server.base_url, api_key="sim", max_retries=0)
    repeat = again.embeddings.create(model="sim-embed", input="hello", dimensions=64)
    assert small.data[0].embedding == repeat.data[0].embedding


def test_chat_models_do_not_embed_and_the_embedder_does_not_chat(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.embeddings.create(model="sim-small", input="hi")
    assert "chat model" in info.value.message
    with pytest.raises(openai.NotFoundError) as info:
        client.chat.completions.create(
            model="sim-embed", messages=[{"role": "user", "content": "hi"}]
        )
    assert "embeddings model" in info.value.message
    with pytest.raises(openai.NotFoundError):
        client.embeddings.create(model="text-embedding-3-small", input="hi")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"model": "sim-embed"}, "'input'"),
        ({"model": "sim-embed", "input": []}, "'input'"),
        ({"model": "sim-embed", "input": [[1, 2, 3]]}, "token arrays"),
        ({"model": "sim-embed", "input": ""}, "empty string"),
        ({"model": "sim-embed", "input": "x", "encoding_format": "int8"}, "encoding_format"),
        ({"model": "sim-embed", "input": "x", "dimensions": 0}, "dimensions"),
        ({"input": "x"}, "'model'"),
    ],
)
def test_bad_bodies_are_400_saying_why(server: SimServer, body: dict, fragment: str) -> None:
    response = httpx.post(f"{server.base_url}/embeddings", content=json.dumps(body))
    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]


def test_protocol_faults_apply_to_embeddings() -> None:
    with serve_in_thread(faults=FaultPlan(script=["rate_limit", "malformed_json"])) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="sim", max_retries=0)
        with pytest.raises(openai.RateLimitError):
            client.embeddings.create(model="sim-embed", input="hi")
        ok = client.embeddings.create(model="sim-embed", input="hi")  # content faults: no effect
        assert len(ok.data[0].embedding) == 256


def test_in_process_embed_is_priced_like_the_catalogue_says() -> None:
    result = Simulator().embed("sim-embed", ["one two three"])
    spec = catalog().get("sim-embed")
    assert (spec.input_usd_per_mtok, spec.output_usd_per_mtok) == (0.02, 0.0)
    assert result.input_tokens > 0 and result.latency_s > 0
    assert len(result.vectors) == 1 and len(result.vectors[0]) == 256
