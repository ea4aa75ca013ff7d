"""webuiapi, the usual Python client of AUTOMATIC1111, against `easel sandbox`: start-up,
txt2img, img2img with a mask, models, progress, interrupt, upscaling."""
import threading
import time

import pytest
import webuiapi

from images import start_image, white_left_mask


def api(box):
    host, port = box.url.removeprefix("http://").split(":")
    return webuiapi.WebUIApi(host=host, port=int(port))


def test_start_up_reads_the_scripts(sandbox):
    box = sandbox("success")
    a = api(box)
    assert ("GET", "/sdapi/v1/scripts") in [(r["method"], r["path"]) for r in box.requests()]
    assert a.has_controlnet is False and a.has_adetailer is False
    assert "x/y/z plot" in a.get_scripts()["txt2img"]


def test_txt2img(sandbox):
    box = sandbox("success")
    result = api(box).txt2img(prompt="a red fox in snow", seed=42, width=256, height=192, batch_size=2, steps=8)
    assert [img.size for img in result.images] == [(256, 192), (256, 192)]
    assert result.info["all_seeds"] == [42, 43] and result.parameters["prompt"] == "a red fox in snow"


def test_img2img_with_a_mask(sandbox):
    box = sandbox("success")
    result = api(box).img2img(images=[start_image(128, 96)], mask_image=white_left_mask(128, 96), prompt="a window",
                              denoising_strength=0.5, width=128, height=96, steps=8)
    assert result.images[0].size == (128, 96)
    sent = [r for r in box.requests() if r["path"] == "/sdapi/v1/img2img"][0]["body"]
    assert sent["mask"].startswith("data:image/png;base64,") and len(sent["init_images"]) == 1


def test_models_samplers_schedulers_and_the_rest(sandbox):
    box = sandbox("success")
    a = api(box)
    assert "sd_xl_base_1.0.safetensors [31e35c80fc]" in a.util_get_model_names()
    assert "Euler a" in a.util_get_sampler_names()
    assert "automatic" in a.util_get_scheduler_names()
    for call in (a.get_sd_vae, a.get_upscalers, a.get_loras, a.get_cmd_flags, a.get_memory, a.get_embeddings,
                 a.get_latent_upscale_modes, a.get_face_restorers, a.get_prompt_styles, a.get_hypernetworks):
        call()
    a.refresh_checkpoints()
    a.util_set_model("sd_xl_base_1.0")
    assert a.util_get_current_model() == "sd_xl_base_1.0.safetensors [31e35c80fc]"


def test_progress_and_interrupt(sandbox):
    box = sandbox("success", "--job-seconds", "20")
    a = api(box)
    done = {}
    worker = threading.Thread(target=lambda: done.setdefault("result", a.txt2img(prompt="slow", batch_size=3, steps=10)))
    started = time.monotonic()
    worker.start()
    progress = a.get_progress()
    while progress["progress"] == 0 and time.monotonic() - started < 10:
        progress = a.get_progress()
    assert 0 < progress["progress"] < 1 and progress["state"]["sampling_steps"] == 10
    a.interrupt()
    worker.join(timeout=10)
    assert not worker.is_alive() and time.monotonic() - started < 15
    assert len(done["result"].images) == 1 and a.get_progress()["state"]["interrupted"] is True


def test_upscale_and_png_info(sandbox):
    box = sandbox("success")
    a = api(box)
    made = a.txt2img(prompt="a small boat", seed=5, width=128, height=64, steps=4).image
    up = a.extra_single_image(image=made, upscaler_1="R-ESRGAN 4x+", upscaling_resize=2)
    assert up.image.size == (256, 128)
    assert "Seed: 5" in a.png_info(made).info


def test_unknown_routes_answer_fastapis_404(sandbox):
    box = sandbox("success")
    assert api(box).custom_get("sdapi/v1/no-such-route") == {"detail": "Not Found"}
    with pytest.raises(RuntimeError) as missing:
        api(box).custom_post("sdapi/v1/no-such-route", {"x": 1})
    assert missing.value.args[0] == 404
