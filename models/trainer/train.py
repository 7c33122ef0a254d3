"""Trains the small Whisper ("trained-mini") on seeded synthetic speech.

Run through `npm run train-model` (which exports the engine's mel filters and token ids first). A
development tool: the shipped weights are committed, nothing at runtime or in tests trains.
Checkpoints and a held-out WER land in --out every --eval-minutes, so a run can be stopped at any time.
"""
import argparse
import json
import math
import os
import sys
import time

# OpenMP threads that spin while waiting crawl on a shared, oversubscribed machine (10-20x slower steps).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from checks import check_gelu_gradient, check_log_mel  # noqa: E402
from corpus import HELD_OUT_VARIANT, PAUSE_S, TRAIN_VARIANTS, VARIANTS, VOICES, WORDS, compose, load_clips, word_token_ids  # noqa: E402
from export import read_safetensors, weights_state, write_weights  # noqa: E402
from model import LogMel, Whisper  # noqa: E402

# With --pauses: the chance that a word in a window that has pauses is followed by one.
PAUSE_P = 0.2
# With --init: steps the fresh CTC head learns on its own first, and its learning rate then.
CTC_FIT_STEPS = 300
CTC_FIT_LR = 1.5e-3
DIMS = dict(d=128, heads=2, ffn=512, enc_layers=2, dec_layers=2)
HOP_S = 0.01


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--assets", default="models/trainer/.cache/assets.json")
    p.add_argument("--out", default="models/trainer/.cache/run")
    p.add_argument("--seed", type=int, default=16)
    p.add_argument("--minutes", type=float, default=60.0, help="training time budget; curriculum and lr follow it")
    p.add_argument("--eval-minutes", type=float, default=4.0)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=1.5e-3)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--align", type=float, default=0.0,
                   help="weight of the cross-attention alignment loss (0: off); see alignment_loss")
    p.add_argument("--dec-layers", type=int, default=DIMS["dec_layers"],
                   help="decoder layers; resuming a checkpoint that has fewer adds them on top (see grow_layers)")
    p.add_argument("--enc-layers", type=int, default=DIMS["enc_layers"],
                   help="encoder layers; resuming a checkpoint that has fewer adds them on top (see grow_layers)")
    p.add_argument("--align-timestamps", action="store_true",
                   help="the alignment loss also points each timestamp token's head at the frame it names")
    p.add_argument("--speed-perturb", type=float, default=0.0,
                   help="play 70 %% of training utterances at a random speed within 1 ± this (0: off); see change_speed")
    p.add_argument("--long-lead", action="store_true",
                   help="a quarter of the short training windows open on up to 0.6 of their length in silence")
    p.add_argument("--pauses", action="store_true",
                   help="half the training windows hold pauses between utterances (0.5-8 s); a segment ends at each")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--init", metavar="SAFETENSORS",
                   help="start from written weights (models/trained/trained-mini.safetensors, a step-N file): their step, "
                        "minutes and curve carry on, with a fresh optimizer and CTC head (a fresh machine has no state.pt)")
    return p.parse_args()


class Vocab:
    def __init__(self, assets):
        s = assets["special"]
        self.eot, self.sot, self.prev = s["endOfText"], s["startOfTranscript"], s["startOfPrev"]
        self.no_ts, self.ts0, self.size = s["noTimestamps"], s["timestampBegin"], s["vocabSize"]
        self.words = word_token_ids(assets["gpt2Vocab"])
        self.used = sorted(set(self.words + [self.eot, self.sot, self.prev, self.no_ts] + list(range(self.ts0, self.ts0 + 1501))))
        self.used_index = {tok: i for i, tok in enumerate(self.used)}

    def ts(self, seconds):
        return self.ts0 + min(1500, max(0, int(round(seconds / 0.02))))


def target_tokens(v, rng, words, cut, timestamps):
    """Whisper's format: `<|t|> words <|t|>` segments, or plain words after <|notimestamps|>.
    A word the window end cuts is left out; with timestamps, its segment is left as a lone start time."""
    if not timestamps:
        toks = [v.words[w] for w, _, _ in words]
        if cut is not None and cut[1] > 0.6:
            toks.append(v.words[cut[2]])
        return toks + [v.eot]
    toks, seg = [], []
    for i, (w, start, end) in enumerate(words):
        if not seg:
            toks.append(v.ts(start))
        seg.append(v.words[w])
        gap_next = words[i + 1][1] - end if i + 1 < len(words) else None
        if gap_next is None or len(seg) >= 10 or gap_next >= PAUSE_S[0] or (gap_next > 0.25 and rng.random() < 0.6):
            toks += seg + [v.ts(end)]
            seg = []
    if cut is not None:
        toks.append(v.ts(cut[0]))
    return toks + [v.eot]


# Stages advance on held-out WER, not on time: on 2 shared cores a time-based schedule moved on to
# 30 s windows of 30-70 words (10x the cost of a step) before the model knew a single word.
STAGES = [
    # (30 s window every Nth step, its words, short-window words, cut words and prompts allowed)
    dict(long_every=8, long_words=(1, 8), short_words=(1, 6), extras=False),
    dict(long_every=4, long_words=(1, 30), short_words=(1, 16), extras=True),
    dict(long_every=2, long_words=(30, 70), short_words=(1, 16), extras=True),
]


def next_stage(stage, wer, frac):
    """Advance when the held-out WER says the model has learnt what this stage teaches; by 60 % of the
    budget at least to stage 1, so long windows are never left out entirely, and by half of it to stage 2:
    stage 1's windows hold at most 30 words, so the held-out 30 s windows (30-70 words) cannot fall below
    about 50 % WER in it, and a gate on that WER alone never opened in the committed run."""
    if stage == 0 and (wer["short"] < 60 or frac >= 0.6):
        return 1
    if stage == 1 and ((wer["short"] < 35 and wer["long30s"] < 70) or frac >= 0.5):
        return 2
    return stage


def curriculum(stage, step, rng):
    """(window seconds, min words, max words, cut words and prompts allowed) for this step."""
    st = STAGES[stage]
    if step % st["long_every"] == 0:
        return (30.0, *st["long_words"], st["extras"])
    window = round(float(rng.uniform(3.0, 10.0)) / 0.02) * 0.02
    return (window, *st["short_words"], st["extras"])


def make_batch(v, clips, rng, mel, batch, window, lo, hi, cut_ok, variants, speed_perturb=0.0, long_lead=False,
               align_timestamps=False, pauses=False):
    audios, seqs, ctc, times = [], [], [], []
    for _ in range(batch):
        if rng.random() < 0.04:
            n = 0
        else:
            n = int(rng.integers(lo, hi + 1))
        speed = float(rng.uniform(1 - speed_perturb, 1 + speed_perturb)) if speed_perturb > 0 and rng.random() < 0.7 else None
        # A window that opens on seconds of silence, as a stream's does after a commit and a long-form
        # seek's may: the model that never heard one wrote nothing for the speech after it.
        # Short windows only: 30 s windows opening on up to 18 s of silence cost held-out WER on dense 30 s
        # windows (36 -> 42 % over 17 minutes from step 21545, with --align-timestamps too).
        lead = 0.6 * window if long_lead and window < 30.0 and rng.random() < 0.25 else None
        # Pauses between utterances, as in speech and in the quality bench: without them the model had only
        # heard gaps of 0.05-0.4 s inside a window, and in timestamp mode it wrote the last word again and
        # again across a pause instead of ending the segment.
        pause_p = PAUSE_P if pauses and rng.random() < 0.5 else 0.0
        audio, words, cut = compose(clips, rng, variants, n, window, allow_cut=cut_ok and rng.random() < 0.3, speed=speed, lead_s=lead,
                                    pause_p=pause_p)
        timestamps = rng.random() < 0.5
        prompt = []
        if cut_ok and rng.random() < 0.3:
            prompt = [v.prev] + [v.words[int(i)] for i in rng.integers(len(WORDS), size=int(rng.integers(1, 30)))]
        head = prompt + [v.sot] + ([] if timestamps else [v.no_ts])
        body = target_tokens(v, rng, words, cut, timestamps)
        seqs.append((head, body))
        audios.append(audio)
        ctc.append([w + 1 for w, _, _ in words])
        # The spoken time of each word token in body, in order (a cut word ends at the window's end).
        times.append([(s, e) for _, s, e in words] + ([(cut[0], window)] if cut is not None else []))
    length = max(len(h) + len(b) for h, b in seqs)
    tokens = torch.full((batch, length - 1), v.eot, dtype=torch.long)
    labels = torch.full((batch, length - 1), -100, dtype=torch.long)
    # Encoder frames [start, end) of the word each position predicts (next) and of the word it reads
    # (prev), or around the time a timestamp token names; -1 elsewhere.
    spans = torch.full((2, batch, length - 1, 2), -1, dtype=torch.long)
    word_set = set(v.words)
    for i, (head, body) in enumerate(seqs):
        full = head + body
        tokens[i, : len(full) - 1] = torch.tensor(full[:-1])
        labels[i, len(head) - 1: len(full) - 1] = torch.tensor([v.used_index[t] for t in body])
        k = 0
        for j, t in enumerate(body):
            if t >= v.ts0 and align_timestamps:
                # A timestamp's encoder frame is its index (20 ms each): the head that finds the word
                # being written also finds where a segment starts or ends.
                frames = torch.tensor([max(0, t - v.ts0 - 1), t - v.ts0 + 2])
            elif t in word_set:
                start, end = times[i][k]
                k += 1
                frames = torch.tensor([max(0, int(start / HOP_S / 2) - 1), int(math.ceil(end / HOP_S / 2)) + 1])
            else:
                continue
            pos = len(head) - 1 + j
            spans[0, i, pos] = frames
            if pos + 1 < length - 1:
                spans[1, i, pos + 1] = frames
    return mel(torch.from_numpy(np.stack(audios))), tokens, labels, ctc, spans


def span_mass_loss(probs, spans):
    """-log of the attention mass one head puts inside each word's frames, averaged over word positions."""
    frames = torch.arange(probs.shape[-1])
    inside = (frames >= spans[..., :1]) & (frames < spans[..., 1:])
    valid = spans[..., 0] >= 0
    mass = (probs * inside).sum(-1)
    return -(mass.clamp(min=1e-6).log() * valid).sum() / valid.sum().clamp(min=1)


def alignment_loss(model, spans):
    """Head 0 of the last decoder layer's cross-attention is taught to look at the word it is about to
    write, head 0 of the first layer at the word it has just read. The model's errors on 30 s windows were
    words dropped, doubled and swapped mid-window while its CTC head (the encoder) knew them all: the
    decoder lost its place in 1,500 frames. The last layer's head is an alignment head for word times."""
    layers = model.decoder.layers
    return span_mass_loss(layers[-1].encoder_attn.probs[:, 0], spans[0]) + span_mass_loss(layers[0].encoder_attn.probs[:, 0], spans[1])


def loss_fn(model, feats, tokens, labels, ctc, spans, align, ctc_detached=False):
    for layer in model.decoder.layers:
        layer.encoder_attn.keep_probs = align > 0
    enc = model.encoder(feats)
    hidden = model.decoder.hidden(tokens, enc)
    logits, lse = model.used_logits(hidden)
    mask = labels >= 0
    picked = logits.gather(-1, labels.clamp(min=0)[..., None])[..., 0]
    ce = ((lse - picked) * mask).sum() / mask.sum()
    log_probs = model.ctc_head(enc.detach() if ctc_detached else enc).log_softmax(-1).transpose(0, 1)
    targets = torch.tensor([w for seq in ctc for w in seq], dtype=torch.long)
    lengths = torch.tensor([len(seq) for seq in ctc], dtype=torch.long)
    frames = torch.full((len(ctc),), enc.shape[1], dtype=torch.long)
    aux = F.ctc_loss(log_probs, targets, frames, lengths, zero_infinity=True)
    loss = ce + 0.3 * aux
    aligned = 0.0
    if align > 0:
        al = alignment_loss(model, spans)
        loss, aligned = loss + align * al, al.item()
    return loss, ce.item(), aux.item(), aligned


# The engine's first timestamp is at most 1 s (openai-whisper's max_initial_timestamp).
MAX_INITIAL_TIMESTAMP_INDEX = 50


def timestamp_rules(v, used, logits, seqs):
    """openai-whisper's ApplyTimestampRules on logits over the used ids, one row per sequence generated
    so far, so the held-out `_ts` figures are what the engine decodes: timestamps paired, never going
    back, the first within 1 s, and a timestamp whenever their summed probability beats every text
    token's. Returns the logits and, per row, whether text may follow: the unused rows (logit 0, in the
    exported model too) are text tokens, suppressed with the rest."""
    logits = logits.clone()
    is_ts = used >= v.ts0
    specials = (used == v.sot) | (used == v.prev) | (used == v.no_ts)
    text = ~is_ts & (used != v.eot) & ~specials
    text_ok = torch.ones(len(seqs), dtype=torch.bool)
    for i, seq in enumerate(seqs):
        row = logits[i]
        row[specials] = -math.inf
        last_ts = len(seq) >= 1 and seq[-1] >= v.ts0
        penultimate_ts = len(seq) < 2 or seq[-2] >= v.ts0
        if last_ts and penultimate_ts:
            row[is_ts] = -math.inf
        elif last_ts:
            text_ok[i] = False
        stamps = [t for t in seq if t >= v.ts0]
        if stamps:
            floor = stamps[-1] if last_ts and not penultimate_ts else stamps[-1] + 1
            row[is_ts & (used < floor)] = -math.inf
        if not seq:
            row[~is_ts] = -math.inf
            row[used > v.ts0 + MAX_INITIAL_TIMESTAMP_INDEX] = -math.inf
            text_ok[i] = False
        if text_ok[i] and torch.logsumexp(row[is_ts], 0) > max(row[~is_ts].max().item(), 0.0):
            text_ok[i] = False
        if not text_ok[i]:
            row[text] = -math.inf
    return logits, text_ok


@torch.no_grad()
def greedy(model, v, feats, timestamps, max_len=160):
    enc = model.encoder(feats)
    b = feats.shape[0]
    tokens = torch.tensor([[v.sot] + ([] if timestamps else [v.no_ts])] * b)
    used = model.used_ids
    done = torch.zeros(b, dtype=torch.bool)
    out = [[] for _ in range(b)]
    for _ in range(max_len):
        logits, _ = model.used_logits(model.decoder.hidden(tokens, enc)[:, -1])
        text_ok = torch.ones(b, dtype=torch.bool)
        if timestamps:
            logits, text_ok = timestamp_rules(v, used, logits, out)
        best = logits.argmax(-1)
        zero_row_wins = text_ok & (logits.max(-1).values <= 0)
        nxt = torch.where(zero_row_wins, torch.full_like(best, -1), used[best])  # -1: a zero row wins, as an end
        for i in range(b):
            if not done[i]:
                if nxt[i].item() in (v.eot, -1):
                    done[i] = True
                else:
                    out[i].append(nxt[i].item())
        if done.all():
            break
        tokens = torch.cat([tokens, torch.where(nxt < 0, torch.full_like(nxt, v.eot), nxt)[:, None]], dim=1)
    return out


def word_errors(ref, hyp):
    d = list(range(len(hyp) + 1))
    for i in range(1, len(ref) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(hyp) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (ref[i - 1] != hyp[j - 1]))
            prev, d[j] = d[j], cur
    return d[len(hyp)]


def held_out_set(v, clips, mel, seed, pauses=False):
    """Fixed held-out windows in the held-out variant: 16 of 30 s (30-70 words) and 16 short ones; with
    pauses, 16 more of 30 s with pauses between utterances."""
    rng = np.random.default_rng(seed + 1000)
    sets = {}
    kinds = [("long30s", 30.0, 30, 70, 0.0), ("short", 8.0, 1, 8, 0.0)] + ([("pauses30s", 30.0, 20, 50, PAUSE_P)] if pauses else [])
    for name, window, lo, hi, pause_p in kinds:
        audios, refs = [], []
        for _ in range(16):
            audio, words, _ = compose(clips, rng, [HELD_OUT_VARIANT], int(rng.integers(lo, hi + 1)), window, noise=False, pause_p=pause_p)
            audios.append(audio if window == 30.0 else np.pad(audio, (0, 480000 - len(audio))))
            refs.append([v.words[w] for w, _, _ in words])
        sets[name] = (mel(torch.from_numpy(np.stack(audios))), refs)
    return sets


def evaluate(model, v, sets, with_timestamps=True):
    model.eval()
    result = {}
    for name, (feats, refs) in sets.items():
        for timestamps in ((False, True) if name.endswith("30s") and with_timestamps else (False,)):
            errors = total = 0
            for i in range(0, len(refs), 8):
                hyps = greedy(model, v, feats[i: i + 8], timestamps)
                for ref, hyp in zip(refs[i: i + 8], hyps):
                    hyp = [t for t in hyp if t in v.words]
                    errors += word_errors(ref, hyp)
                    total += len(ref)
            result[f"{name}{'_ts' if timestamps else ''}"] = round(100 * errors / max(1, total), 2)
    model.train()
    return result


def grow_layers(model, state):
    """Loads a checkpoint into a model with at least its encoder and decoder layers. Layers the checkpoint
    lacks go on top as identities (output projections zero: the model computes exactly what the checkpoint
    did, and learns what to add); returns how many. A 2-layer decoder could not keep its place in 30 s
    windows: finding the next word needs where the last one was, then the frames after it. A 2-layer
    encoder leaves each frame knowing little of the words around it, so the decoder finds the word it has
    just read by its sound alone, and with 64 words a 30 s window says most of them twice."""
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or any(not k.startswith(("decoder.layers.", "encoder.layers.")) for k in missing):
        raise SystemExit(f"checkpoint does not fit the model: missing {missing[:4]}, unexpected {unexpected[:4]}")
    added = sorted({tuple(k.split(".")[:3]) for k in missing})
    with torch.no_grad():
        for side, _, i in added:
            layer = getattr(model, side).layers[int(i)]
            outputs = [layer.self_attn.out_proj, layer.fc2] + ([layer.encoder_attn.out_proj] if side == "decoder" else [])
            for linear in outputs:
                linear.weight.zero_()
                linear.bias.zero_()
    return len(added)


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    assets = json.load(open(args.assets))
    check_gelu_gradient()
    mel = LogMel(assets)
    check_log_mel(mel, assets)
    v = Vocab(assets)
    clips = load_clips(os.path.join(os.path.dirname(args.assets), "clips"))
    n_mels = assets["preprocessor"]["feature_size"]
    dims = {**DIMS, "dec_layers": args.dec_layers, "enc_layers": args.enc_layers}
    model = Whisper(n_mels, vocab=v.size, used_ids=v.used, n_words=len(WORDS), **dims)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    sets = held_out_set(v, clips, mel, args.seed, args.pauses)
    state_path = os.path.join(args.out, "state.pt")
    step, elapsed, curve, stage, warm_from, ctc_fit_until = 0, 0.0, [], 0, 0, 0
    if args.init:
        if args.resume:
            raise SystemExit("--init and --resume exclude each other")
        tensors, meta = read_safetensors(args.init)
        written = json.loads(meta["manifest"])
        held = written.get("dims", DIMS)
        if any(held[k] != dims[k] for k in ("d", "heads", "ffn")) or any(held[k] > dims[k] for k in ("enc_layers", "dec_layers")):
            raise SystemExit(f"{args.init} holds dims {held}, not {dims}: pass at least its --enc-layers and --dec-layers")
        state = weights_state(model, tensors)
        # Layers the file lacks are left out, so grow_layers makes them identities.
        state = {k: t for k, t in state.items() if not k.startswith(("encoder.layers.", "decoder.layers.")) or f"model.{k}" in tensors}
        added = grow_layers(model, state)
        curve = written["heldOutWer"]
        step, elapsed, stage = written["steps"], written["minutes"] * 60, curve[-1]["stage"] if curve else 0
        warm_from = step
        # The written weights have no CTC head: a fresh one would send its random gradients into the
        # encoder (CTC loss ~330 against a cross-entropy of ~1.5) and, through the shared clipping, shrink
        # every other update 100x. It learns on detached encoder output first, clipped on its own.
        ctc_fit_until = step + CTC_FIT_STEPS
        ctc_opt = torch.optim.AdamW(model.ctc_head.parameters(), lr=CTC_FIT_LR)
        print(f"from {args.init}: step {step}, minute {written['minutes']}, fresh optimizer and CTC head"
              + (f", {added} layer(s) added on top as identities" if added else ""), flush=True)
    elif args.resume and os.path.exists(state_path):
        st = torch.load(state_path)
        step, elapsed, curve, stage = st["step"], st["elapsed"], st["curve"], st.get("stage", 0)
        added = grow_layers(model, st["model"])
        if added:
            # New parameters: a fresh optimizer, warmed up again from here.
            print(f"grown by {added} layer(s) on top, as identities; optimizer state reset", flush=True)
            warm_from = step
        else:
            opt.load_state_dict(st["opt"])
            warm_from = st.get("warm_from", 0)
    rng = np.random.default_rng([args.seed, step])
    budget = args.minutes * 60
    started = time.time() - elapsed
    next_eval = elapsed + args.eval_minutes * 60
    score = lambda w: (w["long30s"] + w["short"]) / 2  # noqa: E731  file (30 s windows) and stream (short) alike
    best = min((score(c) for c in curve), default=1e9)
    log_every, acc = 20, []

    def checkpoint(final=False):
        nonlocal best, next_eval, stage
        wer = evaluate(model, v, sets, with_timestamps=stage > 0 or final)
        now = time.time() - started
        curve.append({"step": step, "minutes": round(now / 60, 1), "stage": stage, **wer})
        stage = next_stage(stage, wer, now / budget)
        print(f"EVAL step {step} min {now / 60:.1f} {json.dumps(wer)}", flush=True)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": now, "curve": curve, "stage": stage,
                    "warm_from": warm_from}, state_path)
        manifest = {
            "seed": args.seed, "steps": step, "minutes": round(now / 60, 1), "dims": dims, "batch": args.batch,
            "lr": args.lr, "warmup": args.warmup, "align": args.align,
            "speedPerturb": args.speed_perturb, "longLead": args.long_lead,
            "alignTimestamps": args.align_timestamps, "pauses": args.pauses,
            # The heads --align teaches to follow the words: Whisper's alignment_heads for word times by DTW.
            "alignmentHeads": [[dims["dec_layers"] - 1, 0]] if args.align > 0 else [], "words": WORDS, "wordTokens": v.words, "voices": VOICES,
            "variants": [{"wordsPerMinute": s, "pitch": p} for s, p in VARIANTS], "heldOutVariant": HELD_OUT_VARIANT,
            "heldOutWer": curve, "torch": torch.__version__,
        }
        write_weights(model, v.used, os.path.join(args.out, f"step-{step}.safetensors"), manifest)
        if score(wer) <= best:
            best = score(wer)
            write_weights(model, v.used, os.path.join(args.out, "best.safetensors"), manifest)
            json.dump(manifest, open(os.path.join(args.out, "best.json"), "w"), indent=2)
        next_eval = now + args.eval_minutes * 60

    model.train()
    while True:
        now = time.time() - started
        frac = min(1.0, now / budget)
        if now >= budget:
            break
        decay = 0.0 if frac < 0.7 else (frac - 0.7) / 0.3  # constant, then cosine to 10 % over the last 30 %
        lr = args.lr * min(1.0, (step + 1 - warm_from) / args.warmup) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * decay)))
        for g in opt.param_groups:
            g["lr"] = lr
        window, lo, hi, cut_ok = curriculum(stage, step, rng)
        # A 30 s window costs ~10x a short one (attention over 1500 frames); on 2 shared cores a full batch
        # of them starved the rest of the curriculum, so they come args.batch // 4 at a time.
        batch = args.batch // 4 if window == 30.0 else args.batch
        feats, tokens, labels, ctc, spans = make_batch(v, clips, rng, mel, batch, window, lo, hi, cut_ok, TRAIN_VARIANTS,
                                                       args.speed_perturb, args.long_lead, args.align_timestamps, args.pauses)
        fitting_ctc = step < ctc_fit_until
        loss, ce, aux, aligned = loss_fn(model, feats, tokens, labels, ctc, spans, args.align, fitting_ctc)
        opt.zero_grad()
        loss.backward()
        if fitting_ctc:
            torch.nn.utils.clip_grad_norm_(model.ctc_head.parameters(), 1.0)
            ctc_opt.step()
            for p in model.ctc_head.parameters():
                p.grad = None  # the main optimizer skips it until it has learnt
            norm = torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.grad is not None], 1.0)
        else:
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        if not torch.isfinite(norm):
            print(f"step {step}: non-finite gradient norm, step skipped", flush=True)
        else:
            opt.step()
        acc.append((ce, aux, norm.item(), aligned))
        step += 1
        if step % log_every == 0:
            a = np.array(acc)
            print(f"step {step} min {now / 60:.1f} stage {stage} lr {lr:.2e} win {window:.1f} ce {a[:, 0].mean():.3f} "
                  f"ctc {a[:, 1].mean():.3f} align {a[:, 3].mean():.3f} gnorm {a[:, 2].mean():.2f}", flush=True)
            acc = []
        if time.time() - started >= next_eval:
            checkpoint()
    checkpoint(final=True)
    print("DONE", flush=True)


if __name__ == "__main__":
    main()
