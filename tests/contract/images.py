"""Small pictures the contract tests send: a start image and masks, made with Pillow."""
import base64
import io

from PIL import Image


def png_bytes(image):
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def start_image(width=64, height=48, colour=(200, 80, 40)):
    return Image.new("RGB", (width, height), colour)


def white_left_mask(width=64, height=48):
    """Easel's and A1111's convention: white where the picture should change (the left half)."""
    mask = Image.new("L", (width, height), 0)
    mask.paste(255, (0, 0, width // 2, height))
    return mask


def transparent_left_mask(width=64, height=48):
    """OpenAI's convention: fully transparent where the picture should change (the left half)."""
    mask = Image.new("RGBA", (width, height), (0, 0, 0, 255))
    mask.paste((0, 0, 0, 0), (0, 0, width // 2, height))
    return mask


def decode(b64):
    return Image.open(io.BytesIO(base64.b64decode(b64)))
