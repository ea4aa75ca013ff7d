"""Easel itself against `easel sandbox` speaking OpenAI: every request body it sends is checked
against the request schemas of OpenAI's published OpenAPI spec 2.3.0 and, where OpenAI's newer
SDK 3.57 takes a model or value the spec does not list, against the SDK's request types
(`openai_spec.check` says how); and what the issues asked for holds end to end: free sizes,
edits whose mask arrives transparent where the person painted white, transparent WebP kept as
it came, OpenAI's default model, and a plain sentence for a model OpenAI shut down."""
import base64
import io
import json
import os
import subprocess

from PIL import Image

from conftest import EASEL_BIN, KEY
from images import start_image, white_left_mask
from openai_spec import as_spec_form, check

def easel(box, tmp_path, *args, ok=True):
    env = dict(os.environ, EASEL_API_KEY=KEY, EASEL_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run([EASEL_BIN, "generate", "--provider", "openai", "--base-url", box.url + "/v1", "--json", *args],
                          capture_output=True, text=True, timeout=120, env=env)
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert (done.returncode == 0) == ok, done.stdout + done.stderr
    return events


# Each case, and the fields of its body that only OpenAI's SDK 3.57 can judge: the spec 2.3.0
# predates GPT Image 2.5, so its `quality` enum lacks `xhigh` and `max`, which the SDK's
# `image_generate_params.py` lists ("gpt-image-2.5-sunburst and gpt-image-2.5-flare ... also
# support xhigh and max"). Those fields are checked against the SDK's types, the rest against
# the spec. (The spec takes any string as `model` and `size`; the SDK's `ImageModel` must name
# the model.)
CASES = [
    (["--prompt", "the default model", "--width", "1024", "--height", "1536"], []),
    (["--model", "gpt-image-2", "--prompt", "a wide harbour", "--width", "1536", "--height", "864"], []),
    (["--model", "gpt-image-1.5", "--prompt", "a cut-out fox", "--width", "1024", "--height", "1024", "--background", "transparent",
      "--output-format", "webp", "--quality", "low", "--option", "output_compression=75", "--option", "moderation=low"], []),
    (["--model", "gpt-image-1-mini", "--prompt", "two kites", "--width", "1024", "--height", "1536", "--samples", "2"], []),
    (["--model", "gpt-image-2", "--prompt", "a slow sunrise", "--width", "1024", "--height", "1024", "--option", "partial_images=2"], []),
    (["--model", "gpt-image-2.5-sunburst", "--prompt", "a 4K skyline", "--width", "3840", "--height", "2160", "--quality", "xhigh"],
     ["quality"]),
    (["--model", "gpt-image-2.5-flare", "--prompt", "a cut-out kite", "--width", "1536", "--height", "864", "--quality", "max",
      "--background", "transparent"], ["quality"]),
    (["--model", "gpt-image-2.6-flare", "--prompt", "a lantern", "--width", "1536", "--height", "1024", "--quality", "high"], []),
    (["--model", "chatgpt-image-latest", "--prompt", "a teapot", "--width", "1024", "--height", "1024"], []),
]


def test_every_generation_body_easel_sends_validates_against_openais_spec_or_newer_sdk(sandbox, tmp_path):
    box = sandbox("success")
    for args, _ in CASES:
        easel(box, tmp_path, *args)
    sent = [r["body"] for r in box.requests() if r["path"] == "/v1/images/generations"]
    assert len(sent) == len(CASES)
    for body, (_, beyond_spec) in zip(sent, CASES):
        errors, by_sdk = check(body, "CreateImageRequest")
        assert not errors, f"{body}: {errors}"
        assert by_sdk == beyond_spec, f"{body}: checked against the SDK instead of the spec: {by_sdk}"
    assert sent[0]["model"] == "gpt-image-2.6-sunburst", "OpenAI's own default (SDK types/responses/tool.py)"
    assert sent[1]["size"] == "1536x864" and "response_format" not in sent[1]
    assert sent[4]["stream"] is True and sent[4]["partial_images"] == 2
    assert "background" not in sent[7], "unconfirmed for GPT Image 2.6: not offered, so not sent"


def test_a_model_openai_shut_down_gets_a_plain_sentence_naming_its_replacement(sandbox, tmp_path):
    events = easel(sandbox("success"), tmp_path, "--model", "gpt-image-1", "--prompt", "x", "--width", "1024", "--height", "1024", ok=False)
    error = [e for e in events if e["event"] == "error"][0]
    assert "OpenAI shut down GPT Image 1 on 23 October 2026" in error["message"], error
    assert "GPT Image 2.5 Sunburst or GPT Image 2.5 Flare" in error["message"], error
    # A compatible server that still has it is asked as before.
    box = sandbox("success", "--legacy-openai-models")
    easel(box, tmp_path, "--model", "gpt-image-1", "--prompt", "x", "--width", "1024", "--height", "1024")
    body = [r["body"] for r in box.requests() if r["path"] == "/v1/images/generations"][0]
    errors, by_sdk = check(body, "CreateImageRequest")
    assert (errors, by_sdk) == ([], [])


def test_a_streamed_generation_shows_previews_and_stores_only_the_final_image(sandbox, tmp_path):
    box = sandbox("success")
    events = easel(box, tmp_path, "--model", "gpt-image-2", "--prompt", "dawn", "--width", "512", "--height", "512",
                   "--option", "partial_images=2")
    kinds = [e["event"] for e in events]
    assert kinds.count("preview") == 2 and kinds.count("image") == 1 and kinds.index("preview") < kinds.index("image")


def test_an_edit_with_a_mask_arrives_as_openai_takes_it(sandbox, tmp_path):
    box = sandbox("success")
    start, mask = tmp_path / "room.jpg", tmp_path / "mask.png"
    start_image(96, 64).save(start, format="JPEG")
    white_left_mask(96, 64).save(mask)
    second = tmp_path / "style.png"
    start_image(32, 32, (0, 0, 255)).save(second)
    easel(box, tmp_path, "--model", "gpt-image-1.5", "--prompt", "a window on the left", "--width", "1024", "--height", "1024",
          "--init-image", str(start), "--init-image", str(second), "--mask", str(mask), "--option", "input_fidelity=high")
    sent = [r["body"] for r in box.requests() if r["path"] == "/v1/images/edits"]
    assert len(sent) == 1
    form = sent[0]
    assert check(as_spec_form(form), "CreateImageEditRequest") == ([], [])
    assert [f["format"] for f in form["image[]"]] == ["jpg", "png"], "GPT image models take JPEG as it is"
    assert form["input_fidelity"] == "high"
    m = form["mask"]
    assert (m["format"], m["width"], m["height"], m["alpha"]) == ("png", 96, 64, True)
    pixels = Image.open(io.BytesIO(base64.b64decode(m["base64"]))).convert("RGBA")
    assert pixels.getpixel((10, 32))[3] == 0, "painted white: transparent, to be repainted"
    assert pixels.getpixel((80, 32))[3] == 255, "painted black: opaque, kept"


def test_edits_with_the_newer_models_validate_and_send_what_each_takes(sandbox, tmp_path):
    box = sandbox("success")
    start = tmp_path / "room.jpg"
    start_image(96, 64).save(start, format="JPEG")
    for model in ("gpt-image-2.5-sunburst", "gpt-image-2.6-sunburst"):
        easel(box, tmp_path, "--model", model, "--prompt", "a window", "--width", "1024", "--height", "1024", "--init-image", str(start))
    sent = [r["body"] for r in box.requests() if r["path"] == "/v1/images/edits"]
    assert [f["model"] for f in sent] == ["gpt-image-2.5-sunburst", "gpt-image-2.6-sunburst"]
    for form in sent:
        assert check(as_spec_form(form), "CreateImageEditRequest") == ([], [])
    assert sent[0]["image"]["format"] == "jpg", "GPT Image 2.5 takes JPEG (SDK)"
    assert sent[1]["image"]["format"] == "png", "unconfirmed for GPT Image 2.6: sent as PNG, which every model takes"


def test_a_transparent_webp_is_stored_as_the_service_made_it(sandbox, tmp_path):
    box = sandbox("success")
    events = easel(box, tmp_path, "--model", "gpt-image-2", "--prompt", "a sticker", "--width", "256", "--height", "256",
                   "--background", "transparent", "--output-format", "webp", "--out", str(tmp_path / "out"))
    stored = [e for e in events if e["event"] == "image"][0]
    picture = Image.open(stored["path"])
    assert picture.format == "WEBP" and picture.mode == "RGBA" and picture.getpixel((0, 0))[3] == 0
    copied = next((tmp_path / "out").iterdir())
    assert Image.open(copied).getpixel((0, 0))[3] == 0, "the exported copy keeps its transparency"


def test_without_seeds_a_fixed_seed_is_neither_recorded_nor_answered_from_the_library(sandbox, tmp_path):
    box = sandbox("success")
    for _ in range(2):
        events = easel(box, tmp_path, "--model", "gpt-image-2", "--prompt", "the same", "--width", "1024", "--height", "1024",
                       "--seed", "42")
        image = [e for e in events if e["event"] == "image"][0]
        assert image["seed"] is None and image["cached"] is False
    assert len([r for r in box.requests() if r["path"] == "/v1/images/generations"]) == 2
