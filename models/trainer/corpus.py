"""Seeded synthetic speech: single words spoken by espeak-ng, joined with gaps so every word time is exact.

Each word is synthesised once per (voice, variant) and cached; utterances are composed on the fly.
"""
import hashlib
import json
import os
import subprocess

import numpy as np

SAMPLE_RATE = 16000

# 64 words, each one BPE token with a leading space in Whisper's English vocabulary (checked at start).
WORDS = (
    "one two three four five six seven eight nine ten red green blue black white yellow dog cat bird fish "
    "horse house car tree water fire light music money river city stone paper window table chair door book "
    "road school summer winter morning night sun moon star king queen game ball ship train coffee bread milk "
    "apple cold hot happy small big fast slow"
).split()
VOICES = ["en-us", "en-gb+f3", "en-029+m3", "en-gb-scotland+f2"]
# (words per minute, pitch 0-99); the middle one is held out for testing.
VARIANTS = [(150, 35), (175, 50), (205, 68)]
HELD_OUT_VARIANT = 1
TRAIN_VARIANTS = [v for v in range(len(VARIANTS)) if v != HELD_OUT_VARIANT]


def word_token_ids(vocab_path):
    vocab = json.load(open(vocab_path))
    ids = []
    for w in WORDS:
        key = "\u0120" + w  # GPT-2's byte-level space
        if key not in vocab:
            raise SystemExit(f'"{w}" is not a single token with a leading space in the vocabulary')
        ids.append(vocab[key])
    if len(set(ids)) != len(ids):
        raise SystemExit("duplicate word tokens")
    return ids


def _synth(word, voice, speed, pitch):
    espeak = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", word],
        check=True, capture_output=True,
    ).stdout
    raw = subprocess.run(
        ["sox", "-t", "wav", "-", "-t", "raw", "-r", str(SAMPLE_RATE), "-e", "signed", "-b", "16", "-c", "1", "-"],
        input=espeak, check=True, capture_output=True,
    ).stdout
    audio = np.frombuffer(raw, dtype=np.int16).astype(np.float32) / 32768.0
    # Trim espeak's leading/trailing silence so the word's start and end are where its sound is.
    loud = np.nonzero(np.abs(audio) > 0.02 * np.abs(audio).max())[0]
    margin = int(0.01 * SAMPLE_RATE)
    return audio[max(0, loud[0] - margin): loud[-1] + margin]


def load_clips(cache_dir):
    """clips[voice][variant][word] -> float32 audio, synthesised once and cached as .npz."""
    key = hashlib.sha1(json.dumps([WORDS, VOICES, VARIANTS]).encode()).hexdigest()[:12]
    path = os.path.join(cache_dir, f"clips-{key}.npz")
    if not os.path.exists(path):
        arrays = {}
        for vi, voice in enumerate(VOICES):
            for ki, (speed, pitch) in enumerate(VARIANTS):
                for wi, word in enumerate(WORDS):
                    arrays[f"{vi}_{ki}_{wi}"] = (_synth(word, voice, speed, pitch) * 32767).astype(np.int16)
        os.makedirs(cache_dir, exist_ok=True)
        np.savez(path + ".tmp.npz", **arrays)
        os.replace(path + ".tmp.npz", path)
    data = np.load(path)
    return [[[data[f"{vi}_{ki}_{wi}"].astype(np.float32) / 32767 for wi in range(len(WORDS))]
             for ki in range(len(VARIANTS))] for vi in range(len(VOICES))]


def change_speed(clip, factor):
    """The clip played `factor` times faster (tempo and pitch together, as a tape would): speed
    perturbation, so the model hears rates and pitches between the training variants. Linear
    interpolation; speeding up first low-passes below the new Nyquist frequency (a Hann-windowed sinc)."""
    if factor > 1.0:
        taps = np.arange(-16, 17)
        kernel = np.sinc(taps / factor) * np.hanning(len(taps))
        clip = np.convolve(clip, (kernel / kernel.sum()).astype(np.float32), mode="same")
    n = int(len(clip) / factor)
    return np.interp(np.arange(n) * factor, np.arange(len(clip)), clip).astype(np.float32)


# A pause between utterances (--pauses); a segment always ends at one.
PAUSE_S = (0.5, 8.0)


def compose(clips, rng, variants, n_words, window_s, allow_cut=False, noise=None, speed=None, lead_s=None, pause_p=0.0):
    """Audio of `window_s` seconds (zero-padded) holding up to n_words words; returns (audio, words, cut).

    speed: play every word this many times faster (see change_speed); None leaves the clips as spoken.
    lead_s: the most silence before the first word (default: a tenth of the window, at most 1 s).
    pause_p: the chance that a word is followed by a pause between utterances (0.5-8 s, log-uniform)
    instead of a 0.05-0.4 s gap.

    words: list of (word index, start s, end s) fully inside the window. cut: (start s, fraction kept)
    of a word the window end cuts, or None.
    """
    n_samples = int(round(window_s * SAMPLE_RATE))
    audio = np.zeros(n_samples, dtype=np.float32)
    t = rng.uniform(0.0, min(1.0, window_s * 0.1) if lead_s is None else lead_s)
    voice = rng.integers(len(clips))
    gain = rng.uniform(0.25, 1.0)
    words, cut = [], None
    for _ in range(n_words):
        wi = int(rng.integers(len(WORDS)))
        clip = clips[voice][int(rng.choice(variants))][wi] * gain * rng.uniform(0.8, 1.2)
        if speed is not None:
            clip = change_speed(clip, speed)
        start = int(round(t * SAMPLE_RATE))
        end = start + len(clip)
        if end > n_samples:
            if allow_cut and start < n_samples - 0.05 * SAMPLE_RATE:
                audio[start:] += clip[: n_samples - start]
                cut = (start / SAMPLE_RATE, (n_samples - start) / len(clip), wi)
            break
        audio[start:end] += clip
        words.append((wi, start / SAMPLE_RATE, end / SAMPLE_RATE))
        t = end / SAMPLE_RATE + rng.uniform(0.05, 0.4)
        if pause_p > 0 and rng.random() < pause_p:
            t = end / SAMPLE_RATE + float(np.exp(rng.uniform(np.log(PAUSE_S[0]), np.log(PAUSE_S[1]))))
    if noise is None:
        noise = rng.random() < 0.3
    if noise:
        level = 10 ** rng.uniform(-3.5, -2.0)
        audio += (rng.standard_normal(n_samples) * level).astype(np.float32)
    return audio, words, cut
