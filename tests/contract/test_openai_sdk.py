"""OpenAI's official Python SDK against `easel sandbox`: every model the SDK names and has not
been shut down generates and edits with what the SDK's docstrings say it takes, a shut-down
model raises the SDK's own error, edits take a mask, streams stream, and each kind of failure
raises the SDK's own error class."""
import io
import json
import urllib.error
import urllib.request

import openai
import pytest

from conftest import KEY
from images import decode, png_bytes, start_image, transparent_left_mask, white_left_mask
from openai_spec import SHUT_DOWN, current_models, sdk_models


def client(box, retries=0):
    return openai.OpenAI(base_url=box.url + "/v1", api_key=KEY, max_retries=retries, timeout=30)


# A size each model takes, as the SDK 3.57 docstrings say (`images.py` `generate`, `size`):
# arbitrary `WIDTHxHEIGHT` for gpt-image-2, 2.5 and their snapshots, the standard three (or
# `auto`) for every GPT image model.
SIZES = {
    "gpt-image-2": "1536x864",
    "gpt-image-2-2026-04-21": "1024x1024",
    "gpt-image-2.5-sunburst": "3840x2160",
    "gpt-image-2.5-sunburst-2026-09-08": "864x1536",
    "gpt-image-2.5-flare": "2560x1440",
    "gpt-image-2.5-flare-2026-09-08": "1024x1024",
    "gpt-image-2.6-sunburst": "1024x1024",
    "gpt-image-2.6-flare": "1536x1024",
    "gpt-image-1.5": "1024x1536",
    "gpt-image-1-mini": "1024x1024",
    "chatgpt-image-latest": "auto",
}


def test_the_sdk_names_the_models_the_sandbox_serves():
    assert sorted(SIZES) == sorted(current_models()), "a model the SDK names is missing here, or one is here it does not name"
    assert set(SHUT_DOWN) <= set(sdk_models())


@pytest.mark.parametrize("model", sorted(SIZES))
def test_every_current_model_generates(sandbox, model):
    box = sandbox("success")
    size = SIZES[model]
    answer = client(box).images.generate(model=model, prompt="a lighthouse at dusk", size=size)
    picture = decode(answer.data[0].b64_json)
    want = (1024, 1024) if size == "auto" else tuple(int(s) for s in size.split("x"))
    assert picture.size == want
    assert answer.output_format == "png" and answer.usage.output_tokens > 0


@pytest.mark.parametrize("model", sorted(SIZES))
def test_every_current_model_edits(sandbox, model):
    box = sandbox("success")
    answer = client(box).images.edit(model=model, prompt="make it dusk", image=("a.png", png_bytes(start_image()), "image/png"),
                                    size="1024x1024")
    assert decode(answer.data[0].b64_json).size == (1024, 1024)


@pytest.mark.parametrize("model", SHUT_DOWN)
def test_a_model_openai_shut_down_raises_the_sdks_not_found_error(sandbox, model):
    with pytest.raises(openai.NotFoundError) as gone:
        client(sandbox("success")).images.generate(model=model, prompt="x")
    assert gone.value.code == "model_not_found" and model in gone.value.message


def test_a_compatible_server_that_still_has_gpt_image_1_serves_it(sandbox):
    answer = client(sandbox("success", "--legacy-openai-models")).images.generate(model="gpt-image-1", prompt="x", size="1536x1024")
    assert decode(answer.data[0].b64_json).size == (1536, 1024)


@pytest.mark.parametrize("model", ["gpt-image-2.5-sunburst", "gpt-image-2.5-flare-2026-09-08"])
def test_gpt_image_2_5_takes_its_own_qualities_and_transparency(sandbox, model):
    box = sandbox("success")
    c = client(box)
    for quality in ("xhigh", "max"):
        answer = c.images.generate(model=model, prompt="a glass fox", size="1536x864", quality=quality, complexity="high",
                                   background="transparent", output_format="png")
        assert (answer.quality, answer.background) == (quality, "transparent")
        assert decode(answer.data[0].b64_json).getpixel((0, 0))[3] == 0
    for other in ("gpt-image-2", "gpt-image-2.6-sunburst", "gpt-image-1.5"):
        with pytest.raises(openai.BadRequestError) as refused:
            c.images.generate(model=other, prompt="x", size="1024x1024", quality="xhigh")
        assert refused.value.param == "quality", "xhigh and max: GPT Image 2.5 only (SDK)"


def test_markup_guides_a_gpt_image_2_5_edit_and_nothing_else(sandbox):
    box = sandbox("success")
    c = client(box)
    image, guide = ("a.png", png_bytes(start_image()), "image/png"), ("markup.png", png_bytes(transparent_left_mask()), "image/png")
    answer = c.images.edit(model="gpt-image-2.5-flare", prompt="follow the sketch", image=image, markup=guide)
    assert answer.data[0].b64_json
    sent = [r for r in box.requests() if r["path"] == "/v1/images/edits"][0]["body"]
    assert sent["markup"]["format"] == "png"
    with pytest.raises(openai.BadRequestError) as refused:
        c.images.edit(model="gpt-image-2.5-flare", prompt="x", image=image, markup=guide, mask=("m.png", guide[1], "image/png"))
    assert refused.value.param == "markup", "cannot be combined with mask (SDK)"
    with pytest.raises(openai.BadRequestError) as refused:
        c.images.edit(model="gpt-image-2", prompt="x", image=image, markup=guide)
    assert refused.value.param == "markup", "supports GPT Image 2.5 (SDK)"


def test_input_fidelity_as_the_sdk_says_per_model(sandbox):
    c = client(sandbox("success"))
    image = ("a.png", png_bytes(start_image()), "image/png")
    assert c.images.edit(model="gpt-image-1.5", prompt="x", image=image, input_fidelity="high").data
    assert c.images.edit(model="gpt-image-1-mini", prompt="x", image=image, input_fidelity="low").data
    for model, fidelity in (("gpt-image-1-mini", "high"), ("gpt-image-2", "low")):
        with pytest.raises(openai.BadRequestError) as refused:
            c.images.edit(model=model, prompt="x", image=image, input_fidelity=fidelity)
        assert refused.value.param == "input_fidelity", model


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
    for model in ("gpt-image-1.5", "gpt-image-2.6-sunburst", "chatgpt-image-latest"):
        with pytest.raises(openai.BadRequestError) as refused:
            c.images.generate(model=model, prompt="x", size="1536x864")
        assert refused.value.param == "size", "arbitrary sizes are for gpt-image-2 and 2.5 (SDK)"
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
    assert set(current_models()) <= set(ids) and not set(SHUT_DOWN) & set(ids), ids
    assert c.models.retrieve("gpt-image-2.6-sunburst").id == "gpt-image-2.6-sunburst"
    for gone in SHUT_DOWN:
        with pytest.raises(openai.NotFoundError):
            c.models.retrieve(gone)
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
