"""OpenAI's official Python SDK against `easel sandbox`: every current model generates, edits
take a mask, streams stream, and each kind of failure raises the SDK's own error class."""
import io
import json
import urllib.error
import urllib.request

import openai
import pytest

from conftest import KEY
from images import decode, png_bytes, start_image, transparent_left_mask, white_left_mask


def client(box, retries=0):
    return openai.OpenAI(base_url=box.url + "/v1", api_key=KEY, max_retries=retries, timeout=30)


@pytest.mark.parametrize("model,size", [
    ("gpt-image-2", "1536x864"),
    ("gpt-image-2-2026-04-21", "1024x1024"),
    ("gpt-image-1.5", "1024x1536"),
    ("gpt-image-1", "1536x1024"),
    ("gpt-image-1-mini", "1024x1024"),
    ("chatgpt-image-latest", "auto"),
])
def test_every_current_model_generates(sandbox, model, size):
    box = sandbox("success")
    answer = client(box).images.generate(model=model, prompt="a lighthouse at dusk", size=size)
    picture = decode(answer.data[0].b64_json)
    want = (1024, 1024) if size == "auto" else tuple(int(s) for s in size.split("x"))
    assert picture.size == want
    assert answer.output_format == "png" and answer.usage.output_tokens > 0


def test_transparent_webp_comes_back_transparent(sandbox):
    box = sandbox("success")
    answer = client(box).images.generate(model="gpt-image-2", prompt="a sticker of a fox", size="512x512",
                                        background="transparent", output_format="webp", output_compression=80)
    picture = decode(answer.data[0].b64_json)
    assert picture.format == "WEBP" and picture.mode == "RGBA"
    assert picture.getpixel((0, 0))[3] == 0 and picture.getpixel((256, 256))[3] == 255
    assert (answer.background, answer.output_format) == ("transparent", "webp")


def test_what_openai_refuses_the_sandbox_refuses(sandbox):
    box = sandbox("success")
    c = client(box)
    with pytest.raises(openai.BadRequestError) as refused:
        c.images.generate(model="gpt-image-1.5", prompt="x", size="1536x864")
    assert refused.value.param == "size"
    with pytest.raises(openai.BadRequestError) as refused:
        c.images.generate(model="gpt-image-2", prompt="x", response_format="b64_json")
    assert refused.value.code == "unknown_parameter"
    with pytest.raises(openai.BadRequestError):
        c.images.generate(model="gpt-image-2", prompt="x", background="transparent", output_format="jpeg")
    with pytest.raises(openai.NotFoundError) as gone:
        c.images.generate(model="dall-e-3", prompt="x")
    assert gone.value.code == "model_not_found"


def test_edits_take_several_images_and_a_mask(sandbox):
    box = sandbox("success")
    first, second = png_bytes(start_image()), png_bytes(start_image(colour=(10, 20, 30)))
    mask = png_bytes(transparent_left_mask())
    answer = client(box).images.edit(model="gpt-image-1.5", prompt="make the left half a window",
                                    image=[("a.png", first, "image/png"), ("b.png", second, "image/png")],
                                    mask=("mask.png", mask, "image/png"), size="1024x1024")
    assert decode(answer.data[0].b64_json).size == (1024, 1024)
    sent = [r for r in box.requests() if r["path"] == "/v1/images/edits"][0]["body"]
    assert len(sent["image[]"]) == 2 and sent["mask"]["alpha"] is True
    assert sent["prompt"] == "make the left half a window"


def test_a_mask_without_alpha_is_refused_as_openai_does(sandbox):
    box = sandbox("success")
    with pytest.raises(openai.BadRequestError) as refused:
        client(box).images.edit(model="gpt-image-1.5", prompt="x", image=("a.png", png_bytes(start_image()), "image/png"),
                                mask=("mask.png", png_bytes(white_left_mask()), "image/png"))
    assert refused.value.code == "invalid_image_file" and refused.value.param == "mask"


@pytest.mark.parametrize("edit", [False, True])
def test_streams_send_partial_images_then_the_finished_one(sandbox, edit):
    box = sandbox("success")
    c = client(box)
    if edit:
        stream = c.images.edit(model="gpt-image-1.5", prompt="x", image=("a.png", png_bytes(start_image()), "image/png"),
                               stream=True, partial_images=2)
        prefix = "image_edit"
    else:
        stream = c.images.generate(model="gpt-image-2", prompt="x", size="512x512", stream=True, partial_images=2)
        prefix = "image_generation"
    events = list(stream)
    assert [e.type for e in events] == [f"{prefix}.partial_image"] * 2 + [f"{prefix}.completed"]
    assert [e.partial_image_index for e in events[:2]] == [0, 1]
    assert events[-1].usage.output_tokens > 0 and decode(events[-1].b64_json).size[0] > 0


def test_models_are_listed_and_unknown_routes_answer_like_openai(sandbox):
    box = sandbox("success")
    c = client(box)
    ids = [m.id for m in c.models.list()]
    assert {"gpt-image-2", "gpt-image-1.5", "gpt-image-1-mini"} <= set(ids) and "dall-e-3" not in ids
    assert c.models.retrieve("gpt-image-2").id == "gpt-image-2"
    with pytest.raises(openai.NotFoundError):
        c.models.retrieve("dall-e-2")
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(urllib.request.Request(box.url + "/v1/nowhere", headers={"Authorization": "Bearer " + KEY}))
    assert missing.value.code == 404
    assert json.load(missing.value)["error"]["message"] == "Invalid URL (GET /v1/nowhere)"


@pytest.mark.parametrize("scenario,error,code", [
    ("auth_401", openai.AuthenticationError, "invalid_api_key"),
    ("quota_429", openai.RateLimitError, "insufficient_quota"),
    ("rate_limited_forever", openai.RateLimitError, "rate_limit_exceeded"),
    ("content_policy", openai.BadRequestError, "content_policy_violation"),
    ("server_error", openai.InternalServerError, None),
    ("model_outage", openai.InternalServerError, None),
])
def test_each_failure_raises_the_sdks_own_error(sandbox, scenario, error, code):
    box = sandbox(scenario)
    with pytest.raises(error) as raised:
        client(box).images.generate(model="gpt-image-2", prompt="x", size="1024x1024")
    assert raised.value.code == code
    assert raised.value.request_id and raised.value.request_id.startswith("req_")


def test_the_sdk_retries_what_openai_says_to_retry(sandbox):
    box = sandbox("server_error_once")
    answer = client(box, retries=2).images.generate(model="gpt-image-2", prompt="x", size="1024x1024")
    assert answer.data[0].b64_json
    sent = [r for r in box.requests() if r["path"] == "/v1/images/generations"]
    assert len(sent) == 2
    retry = dict(sent[1]["headers"]).get("x-stainless-retry-count")
    assert retry == "1"
