"""WiAR cross-height experiments: train on one antenna height (+ the three distances), test on the other height,
uncalibrated and with K calibration recordings per activity (adaptations a device can do without PyTorch).

    python training/wiar_xheight.py --data /work/wiar-data/amp90 --train-height 90 --test-height 60 \
        --feature center --norm standard --arch gru --hidden 64 --epochs 20 --tag NAME

Protocol (docs: the brief of branch wiar-xheight):
  * training groups: height-<train>cm + distance-1m/3m/6m; validation (early stopping) = held-out trials (20%,
    seed 0) of those groups only; the test height never takes part in training or model selection.
  * test: every recording of height-<test>cm; per recording = argmax of the window probabilities averaged.
  * calibration K: per activity the test-height recordings sorted by path are shuffled with SplitMix64(seed 0)
    (exactly `csihar evaluate --calibration-shots K`) and the first K calibrate; all figures (calibrated and
    uncalibrated) are on the remaining recordings.
  * adaptations (all on-device without PyTorch): `head` = the Swift ClassifierHeadAdapter objective (class-balanced
    cross entropy over the calibration windows' embeddings + lambda/2 ||W-W0||^2, L-BFGS); `proto` = nearest class
    mean of L2-normalised embeddings (cosine); `adain` = input normalisation mean/std re-estimated on the unlabelled
    test-height windows (no labels) before everything else.
Fixed recipes (chosen on 90 cm + distances -> 60 cm only; run once 60 cm + distances -> 90 cm; figures and the
full experiment log in training/reports/wiar-xheight-log.md):
  U (no labels): amplitude-doppler 16-pt FFT / 16 bands at 30 Hz, 10 frames/s, 5 s windows (50 steps), GRU 64,
    training offset 0.3 + noise 0.1 (normalised units), input mean/std re-estimated on unlabelled test-height windows:
      csihar dataset export --format wiar -o $D/ampdop-s50 --transform amplitude-doppler --doppler-rate 30 \
          --fft-points 16 --bins 16 --sample-rate 10 --steps 50 --hop-seconds 0.5 $W/height/* $W/distance/*_alldata
      python training/wiar_xheight.py --train-height 60 --test-height 90 --data $D/ampdop-s50 --stride 1 \
          --feature db --adain --adain-cal --epochs 20 --offset 0.3 --noise 0.1 --lam 1e-3
  C (K=1 calibration): amplitude-dB 30 Hz, 90 steps (the wiar-gru export), GRU 128, training offset 0.5 +
    per-feature scale 0.2 + noise 0.1; calibration = input mean/std from the calibration recordings + head refit
    (Swift adapter objective, lambda 1e-3):
      python training/wiar_xheight.py --train-height 60 --test-height 90 --data $D/amp90 --feature db --adain \
          --adain-cal --hidden 128 --epochs 15 --offset 0.5 --feat-scale 0.2 --noise 0.1 --lam 1e-3
Result keys: uncal_all (all test recordings), uncal_K/head_K/proto_K (on the recordings left after calibration);
prefix adain- = normalisation from all unlabelled test-height windows, adaincal- = from the K=1 calibration
recordings only (labels not used), adainm- = mean only (the daemon's existing step offsets).
Uses torch.set_num_threads(1); about 1-2.5 min per run on one core.

Features are computed per window from the exported amplitude-dB windows (what a Swift transform/normaliser would do
on the window it holds): see FEATURES.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

torch.set_num_threads(1)

LOG = os.environ.get("WIAR_XHEIGHT_LOG", "/work/wiar-data/log.md")


# ------------------------------------------------------------------------------------------------ features

def feature(X, kind):
    """X: (n, steps, 90) float32 amplitude dB (or any export). Returns (n, steps', F) float32."""
    X = np.asarray(X, dtype=np.float32)
    if kind == "db":
        return X
    if kind == "lvl":                         # one level per window removed (mean over steps and features)
        return X - X.mean((1, 2), keepdims=True)
    if kind == "shape":                       # per step: features minus their mean (spectral shape), + the step's
        m = X.mean(2, keepdims=True)          # mean minus the window's mean (energy envelope)
        return np.concatenate([X - m, m - m.mean(1, keepdims=True)], 2)
    if kind == "center":                      # window's per-feature mean removed (Swift: window-centered)
        return X - X.mean(1, keepdims=True)
    if kind == "zwin":                        # per-window, per-feature standardisation (instance norm)
        c = X - X.mean(1, keepdims=True)
        return c / (c.std(1, keepdims=True) + 0.1)
    if kind == "zant":                        # centered, divided by each antenna's window std (3 scales)
        c = X - X.mean(1, keepdims=True)
        n, s, f = c.shape
        a = c.reshape(n, s, f // 30, 30)
        return (a / (a.std((1, 3), keepdims=True) + 0.05)).reshape(n, s, f)
    if kind == "zall":                        # centered, one scale per window
        c = X - X.mean(1, keepdims=True)
        return c / (c.std((1, 2), keepdims=True) + 0.05)
    if kind == "diff":                        # first difference over time (first step 0)
        d = np.diff(X, axis=1)
        return np.concatenate([np.zeros_like(X[:, :1]), d], 1)
    if kind == "center+diff":
        c = X - X.mean(1, keepdims=True)
        d = np.concatenate([np.zeros_like(X[:, :1]), np.diff(X, axis=1)], 1)
        return np.concatenate([c, d], 2)
    if kind.startswith("pca"):                # top-k principal component time series of the centered window
        k = int(kind[3:])
        c = X - X.mean(1, keepdims=True)
        out = np.zeros((len(c), c.shape[1], k), dtype=np.float32)
        for s in range(0, len(c), 1024):
            b = c[s:s + 1024].astype(np.float64)
            cov = np.einsum("nti,ntj->nij", b, b) / b.shape[1]
            w, v = np.linalg.eigh(cov)                    # ascending
            v = v[:, :, ::-1][:, :, :k]                   # (n, F, k)
            sign = np.sign(v.sum(1, keepdims=True))       # loadings summed positive
            sign[sign == 0] = 1
            out[s:s + 1024] = np.einsum("nti,nik->ntk", b, v * sign)
        return out
    raise ValueError(kind)


# ------------------------------------------------------------------------------------------------ data

def load(path):
    meta = json.load(open(os.path.join(path, "meta.json")))
    X = np.load(os.path.join(path, "X.npy"), mmap_mode="r")
    y = np.load(os.path.join(path, "y.npy")).astype(np.int64)
    rec = np.load(os.path.join(path, "recording.npy")).astype(np.int64)
    return X, y, rec, meta


def splitmix_pick(recordings, shots, seed=0):
    """Calibration recordings exactly as Calibration.pickShots (Swift): ids chosen per label."""
    mask64 = (1 << 64) - 1
    state = seed

    def nxt():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & mask64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask64
        return z ^ (z >> 31)

    order, by = [], {}
    for r in sorted(recordings, key=lambda r: r["path"]):
        if r["label"] not in by:
            order.append(r["label"])
        by.setdefault(r["label"], []).append(r["id"])
    chosen = []
    for label in order:
        ids = list(by[label])
        for i in range(len(ids) - 1, 0, -1):
            j = nxt() % (i + 1)
            ids[i], ids[j] = ids[j], ids[i]
        chosen += ids[:max(0, min(shots, len(ids) - 1))]
    return set(chosen)


def split(meta, train_groups, test_groups, seed=0, val_fraction=0.2, exclude=()):
    rng = np.random.default_rng(seed)
    cells = {}
    for r in meta["recordings"]:
        if r["id"] in exclude or r["group"] not in train_groups:
            continue
        cells.setdefault((r["group"], r["label"]), []).append(r["id"])
    train, val = [], []
    for key in sorted(cells, key=str):
        ids = sorted(cells[key])
        rng.shuffle(ids)
        n_val = max(1, int(round(len(ids) * val_fraction)))
        val += ids[:n_val]
        train += ids[n_val:]
    test = [r["id"] for r in meta["recordings"] if r["group"] in test_groups and r["id"] not in exclude]
    return sorted(train), sorted(val), sorted(test)


# ------------------------------------------------------------------------------------------------ models

class GRUNet(nn.Module):
    def __init__(self, features, hidden, classes, dropout=0.0, layers=1):
        super().__init__()
        self.gru = nn.GRU(features, hidden, layers, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden, classes)

    def embed(self, x):
        _, h = self.gru(x)
        return h[-1]

    def forward(self, x):
        return self.fc(self.drop(self.embed(x)))


class CNNNet(nn.Module):
    """1D CNN over time (features = channels), global average pooling."""

    def __init__(self, features, hidden, classes, dropout=0.0, layers=1):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(features, hidden, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(hidden, hidden, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
            nn.Conv1d(hidden, hidden, 5, padding=2), nn.ReLU())
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear(hidden, classes)

    def embed(self, x):
        return self.body(x.transpose(1, 2)).mean(2)

    def forward(self, x):
        return self.fc(self.drop(self.embed(x)))


# ------------------------------------------------------------------------------------------------ augmentation

def augment(x, args, gen):
    """x: (b, steps, F) normalised training batch; F = 90 (or 180 for center+diff: blocks of 90)."""
    b, s, f = x.shape
    if args.ant_perm:
        blocks = f // 30
        groups = blocks // 3                   # 1 (90) or 2 (180)
        perm = torch.stack([torch.randperm(3, generator=gen) for _ in range(b)])   # (b, 3)
        xr = x.reshape(b, s, groups, 3, 30)
        idx = perm[:, None, None, :, None].expand(b, s, groups, 3, 30)
        x = torch.gather(xr, 3, idx).reshape(b, s, f)
    if args.sc_flip:
        flip = torch.rand(b, generator=gen) < 0.5
        xr = x.reshape(b, s, f // 30, 30)
        x = torch.where(flip[:, None, None, None], xr.flip(3), xr).reshape(b, s, f)
    if args.ant_scale > 0:
        g = torch.exp(args.ant_scale * torch.randn(b, 1, f // 30, 1, generator=gen))
        x = (x.reshape(b, s, f // 30, 30) * g).reshape(b, s, f)
    if args.feat_scale > 0:
        x = x * torch.exp(args.feat_scale * torch.randn(b, 1, f, generator=gen))
    if args.offset > 0:
        x = x + args.offset * (torch.randn(b, 1, f, generator=gen) + torch.randn(b, 1, 1, generator=gen))
    if args.ant_drop > 0:
        keep = (torch.rand(b, 1, f // 30, 1, generator=gen) >= args.ant_drop).float()
        keep[keep.sum(2, keepdim=True).expand_as(keep) == 0] = 1.0
        x = (x.reshape(b, s, f // 30, 30) * keep).reshape(b, s, f)
    if args.time_shift > 0:
        k = int(torch.randint(-args.time_shift, args.time_shift + 1, (1,), generator=gen))
        x = torch.roll(x, k, 1)
    if args.noise > 0:
        x = x + args.noise * torch.randn(x.shape, generator=gen)
    return x


# ------------------------------------------------------------------------------------------------ evaluation

def finetune(model, X, y, args, gen, classes):
    """Full fine-tuning on the calibration windows: class-balanced cross entropy + ft_l2sp/2 |w - w0|^2, Adam,
    full batch, ft_steps steps (what an on-device trainer with backpropagation through time would do)."""
    import copy
    m = copy.deepcopy(model)
    m.train()
    w0 = [p.detach().clone() for p in m.parameters()]
    opt = torch.optim.Adam(m.parameters(), lr=args.ft_lr)
    Xt, yt = torch.from_numpy(np.ascontiguousarray(X)), torch.from_numpy(y)
    counts = np.bincount(y, minlength=classes)
    cw = torch.tensor(np.where(counts > 0, counts.sum() / (len(np.unique(y)) * np.maximum(counts, 1)), 0.0),
                      dtype=torch.float32)
    loss_fn = nn.CrossEntropyLoss(weight=cw)
    for _ in range(args.ft_steps):
        x = augment(Xt, args, gen) if args.ft_aug else Xt
        loss = loss_fn(m(x), yt)
        if args.ft_l2sp > 0:
            loss = loss + 0.5 * args.ft_l2sp * sum(((p - q) ** 2).sum() for p, q in zip(m.parameters(), w0))
        opt.zero_grad()
        loss.backward()
        opt.step()
    m.eval()
    return m


@torch.no_grad()
def embed_all(model, X, batch=512):
    model.eval()
    out = [model.embed(torch.from_numpy(X[i:i + batch])).numpy() for i in range(0, len(X), batch)]
    return np.concatenate(out).astype(np.float64)


def softmax(z):
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


def per_recording(prob, rec, y):
    ids, inv = np.unique(rec, return_inverse=True)
    s = np.zeros((len(ids), prob.shape[1]))
    np.add.at(s, inv, prob)
    truth = np.zeros(len(ids), dtype=np.int64)
    truth[inv] = y
    return float((s.argmax(1) == truth).mean()), ids, s.argmax(1), truth


def fit_head(E, y, W0, b0, lam=1e-2, classes=16, weight=None):
    """Swift ClassifierHeadAdapter objective (class-balanced CE over present classes + lam/2 |W-W0|^2), L-BFGS.
    `weight` (optional, per window) replaces the class-balanced weights (then normalised to sum 1)."""
    from scipy.optimize import minimize
    present = np.unique(y)
    n_c = np.bincount(y, minlength=classes).astype(np.float64)
    w = 1.0 / (len(present) * n_c[y]) if weight is None else weight / weight.sum()
    C, D = W0.shape
    mask = np.full(C, -np.inf)
    mask[present] = 0

    def f(theta):
        W = theta[:C * D].reshape(C, D)
        b = theta[C * D:]
        z = E @ W.T + b + mask
        m = z.max(1, keepdims=True)
        lse = m[:, 0] + np.log(np.exp(z - m).sum(1))
        loss = (w * (lse - z[np.arange(len(y)), y])).sum()
        p = np.exp(z - lse[:, None])
        p[np.arange(len(y)), y] -= 1
        g = p * w[:, None]
        gW = g.T @ E + lam * (W - W0)
        gb = g.sum(0) + lam * (b - b0)
        loss += lam / 2 * (((W - W0) ** 2).sum() + ((b - b0) ** 2).sum())
        return loss, np.concatenate([gW.ravel(), gb])

    theta0 = np.concatenate([W0.ravel(), b0]).astype(np.float64)
    r = minimize(f, theta0, jac=True, method="L-BFGS-B", options={"maxiter": 300, "gtol": 1e-7})
    return r.x[:C * D].reshape(C, D), r.x[C * D:]


def balanced(y, classes):
    n_c = np.bincount(y, minlength=classes).astype(np.float64)
    return 1.0 / (len(np.unique(y)) * n_c[y])


def self_train(E_cal, y_cal, E_un, W0, b0, W1, b1, lam, classes, rounds=3, keep=0.5, alpha=0.5):
    """Transductive head: pseudo-label the unlabelled windows with the current head, keep the `keep` most confident
    per predicted class, refit from the model's head on calibration (weight alpha) + pseudo-labelled windows."""
    W, b = W1, b1
    for _ in range(rounds):
        p = softmax(E_un @ W.T + b)
        pred, conf = p.argmax(1), p.max(1)
        chosen = []
        for c in range(classes):
            idx = np.nonzero(pred == c)[0]
            if len(idx):
                chosen += list(idx[np.argsort(-conf[idx])[:max(1, int(len(idx) * keep))]])
        chosen = np.array(chosen)
        E = np.concatenate([E_cal, E_un[chosen]])
        y = np.concatenate([y_cal, pred[chosen]])
        w = np.concatenate([alpha * balanced(y_cal, classes), (1 - alpha) * balanced(pred[chosen], classes)])
        W, b = fit_head(E, y, W0, b0, lam, classes, w)
    return W, b


def soft_kmeans(E_cal, y_cal, E_un, classes, iters=10, temperature=10.0):
    """Prototypes refined on the unlabelled windows (cosine soft k-means; calibration windows keep their labels)."""
    P = prototypes(E_cal, y_cal, classes)
    Cn = E_cal / (np.linalg.norm(E_cal, axis=1, keepdims=True) + 1e-9)
    Un = E_un / (np.linalg.norm(E_un, axis=1, keepdims=True) + 1e-9)
    onehot = np.eye(classes)[y_cal]
    for _ in range(iters):
        r = softmax(temperature * Un @ P.T)
        P = onehot.T @ Cn + r.T @ Un
        P /= np.linalg.norm(P, axis=1, keepdims=True) + 1e-9
    return P


def prototypes(E, y, classes):
    En = E / (np.linalg.norm(E, axis=1, keepdims=True) + 1e-9)
    P = np.zeros((classes, E.shape[1]))
    for c in range(classes):
        if (y == c).any():
            P[c] = En[y == c].mean(0)
    return P / (np.linalg.norm(P, axis=1, keepdims=True) + 1e-9)


def proto_prob(E, P, temperature=10.0):
    En = E / (np.linalg.norm(E, axis=1, keepdims=True) + 1e-9)
    return softmax(temperature * En @ P.T)


# ------------------------------------------------------------------------------------------------ main

def parse(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="/work/wiar-data/amp90")
    p.add_argument("--train-height", default="90")
    p.add_argument("--test-height", default="60")
    p.add_argument("--no-distance", action="store_true", help="train on the height only")
    p.add_argument("--feature", default="db")
    p.add_argument("--norm", default="standard", choices=["standard", "none", "std-only"],
                   help="standard: per-feature mean/std of training windows; std-only: per-feature std, mean 0")
    p.add_argument("--adain", action="store_true",
                   help="also report: normalisation re-estimated on the unlabelled test-height windows")
    p.add_argument("--arch", default="gru", choices=["gru", "cnn"])
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--dropout", type=float, default=0.0)
    p.add_argument("--wd", type=float, default=0.0)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--patience", type=int, default=6)
    p.add_argument("--stride", type=int, default=2)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-minutes", type=float, default=6)
    p.add_argument("--ant-perm", action="store_true")
    p.add_argument("--sc-flip", action="store_true")
    p.add_argument("--ant-scale", type=float, default=0.0)
    p.add_argument("--feat-scale", type=float, default=0.0)
    p.add_argument("--offset", type=float, default=0.0)
    p.add_argument("--ant-drop", type=float, default=0.0)
    p.add_argument("--time-shift", type=int, default=0)
    p.add_argument("--noise", type=float, default=0.0)
    p.add_argument("--lam", type=float, default=1e-2)
    p.add_argument("--tag", default="")
    p.add_argument("--save", help="save model state + normalisation (npz/pt) here")
    p.add_argument("--no-log", action="store_true")
    p.add_argument("--confusion", action="store_true")
    p.add_argument("--adain-mean", action="store_true")
    p.add_argument("--adain-cal", action="store_true")
    p.add_argument("--group-norm", action="store_true", help="per-setting normalisation statistics (test: its own)")
    p.add_argument("--transductive", action="store_true", help="also: self-trained head, soft k-means prototypes")
    p.add_argument("--load", help="skip training: load a --save file")
    p.add_argument("--groups", help="diagnostics: explicit comma list of training groups (with --test-group)")
    p.add_argument("--test-group")
    p.add_argument("--ft-steps", type=int, default=0,
                   help="also: fine-tune every weight (recurrent layer and head) on the K calibration recordings")
    p.add_argument("--ft-lr", type=float, default=1e-3)
    p.add_argument("--ft-l2sp", type=float, default=0.0, help="lambda/2 |w - w0|^2 toward the trained weights")
    p.add_argument("--ft-aug", action="store_true", help="fine-tune with the training augmentation")
    return p.parse_args(argv)


def main(argv=None):
    args = parse(argv)
    t0 = time.time()
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    Xraw, y, rec, meta = load(args.data)
    recs = meta["recordings"]
    classes = len(meta["labels"])
    # byte-identical walk files are already dropped by the export
    train_groups = {f"height-{args.train_height}cm"} | (set() if args.no_distance else
                                                          {"distance-1m", "distance-3m", "distance-6m"})
    test_group = f"height-{args.test_height}cm"
    if args.groups:
        train_groups, test_group = set(args.groups.split(",")), args.test_group
    tr, va, te = split(meta, train_groups, {test_group}, args.seed)

    def windows(ids, stride=1):
        m = np.isin(rec, ids)
        idx = np.nonzero(m)[0]
        if stride > 1:
            pos = np.zeros(len(idx), dtype=np.int64)
            r = rec[idx]
            for rid in np.unique(r):
                w = np.nonzero(r == rid)[0]
                pos[w] = np.arange(len(w))
            idx = idx[pos % stride == 0]
        return idx

    itr, iva, ite = windows(tr, args.stride), windows(va), windows(te)
    Ftr, Fva, Fte = (feature(Xraw[i], args.feature) for i in (itr, iva, ite))

    def norm_stats(F):
        flat = F.reshape(-1, F.shape[2]).astype(np.float64)
        mean, std = flat.mean(0), flat.std(0)
        std = np.where(std > 1e-6, std, 1.0)
        if args.norm == "none":
            return np.zeros_like(mean), np.ones_like(std)
        if args.norm == "std-only":
            std = np.sqrt((flat ** 2).mean(0))
            return np.zeros_like(mean), np.where(std > 1e-6, std, 1.0)
        return mean, std

    mean, std = norm_stats(Ftr)
    nz = lambda F, m, s: ((F - m.astype(np.float32)) / s.astype(np.float32)).astype(np.float32)
    Xtr, Xva, Xte = nz(Ftr, mean, std), nz(Fva, mean, std), nz(Fte, mean, std)
    if args.group_norm:
        # every setting standardised with its own (label-free) statistics: training groups from their training
        # windows (validation windows use them too), the test height from its own windows (the device's re-estimate)
        gtr = np.array([recs[i]["group"] for i in rec[itr]])
        gva = np.array([recs[i]["group"] for i in rec[iva]])
        for g in sorted(set(gtr)):
            m_, s_ = norm_stats(Ftr[gtr == g])
            Xtr[gtr == g] = nz(Ftr[gtr == g], m_, s_)
            Xva[gva == g] = nz(Fva[gva == g], m_, s_)
        Xte = nz(Fte, *norm_stats(Fte))
    ytr, yva, yte = y[itr], y[iva], y[ite]
    F = Xtr.shape[2]
    Net = GRUNet if args.arch == "gru" else CNNNet
    model = Net(F, args.hidden, classes, args.dropout, args.layers)
    counts = np.bincount(ytr, minlength=classes)
    cw = torch.tensor(counts.sum() / (classes * np.maximum(counts, 1)), dtype=torch.float32)
    loss_fn = nn.CrossEntropyLoss(weight=cw)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.wd)
    Xtr_t, ytr_t = torch.from_numpy(Xtr), torch.from_numpy(ytr)

    @torch.no_grad()
    def probs(X, head=None):
        model.eval()
        E = embed_all(model, X)
        W, b = (model.fc.weight.numpy().astype(np.float64), model.fc.bias.numpy().astype(np.float64)) \
            if head is None else head
        return softmax(E @ W.T + b), E

    best = (-1, -1, None)
    if args.load:
        saved = torch.load(args.load, weights_only=False)
        best = (0, saved.get("best_epoch", -1), saved["state"])
    for epoch in range(0 if args.load else args.epochs):
        model.train()
        order = torch.from_numpy(rng.permutation(len(Xtr)))
        total = 0.0
        for s in range(0, len(order), args.batch):
            bi = order[s:s + args.batch]
            x = augment(Xtr_t[bi], args, gen)
            loss = loss_fn(model(x), ytr_t[bi])
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            total += loss.item() * len(bi)
        pv, _ = probs(Xva)
        val_acc = per_recording(pv, rec[iva], yva)[0]
        score = val_acc + 0.5 * float((pv.argmax(1) == yva).mean())
        print(f"epoch {epoch} loss {total / len(order):.3f} val rec {val_acc:.3f} ({time.time() - t0:.0f}s)", flush=True)
        if score > best[0]:
            best = (score, epoch, {k: v.clone() for k, v in model.state_dict().items()})
        elif epoch - best[1] >= args.patience:
            break
        if time.time() - t0 > args.max_minutes * 60:
            print("time limit", flush=True)
            break
    model.load_state_dict(best[2])
    pv, _ = probs(Xva)
    val_acc = per_recording(pv, rec[iva], yva)[0]

    results = {"val": val_acc, "best_epoch": best[1]}
    rec_te = rec[ite]
    W0 = model.fc.weight.detach().numpy().astype(np.float64)
    b0 = model.fc.bias.detach().numpy().astype(np.float64)
    test_recs = [r for r in recs if r["id"] in set(te)]

    variants = [("", Xte)]
    if args.adain:   # unlabelled test-height normalisation statistics
        m2, s2 = norm_stats(Fte)
        variants.append(("adain-", nz(Fte, m2, s2)))
        if args.adain_mean:   # mean only (the daemon's existing step offsets), training std kept
            variants.append(("adainm-", nz(Fte, m2, std)))
        if args.adain_cal:    # statistics of the K=1 calibration recordings only (16 recordings, no labels used)
            cal1 = np.isin(rec[ite], list(splitmix_pick([r for r in recs if r["id"] in set(te)], 1, 0)))
            variants.append(("adaincal-", nz(Fte, *norm_stats(Fte[cal1]))))
    for prefix, Xt in variants:
        p_all, E_all = probs(Xt)
        acc, _, pred, truth = per_recording(p_all, rec_te, yte)
        results[prefix + "uncal_all"] = acc
        if args.confusion:
            cm_ = np.zeros((classes, classes), dtype=int)
            np.add.at(cm_, (truth, pred), 1)
            print(prefix + "confusion (rows true, cols predicted):\n" + "\n".join(
                f"{c:2d} " + " ".join(f"{v:2d}" if v else " ." for v in row) for c, row in enumerate(cm_)))
        for K in (1, 3):
            cal = splitmix_pick(test_recs, K, 0)
            cm = np.isin(rec_te, list(cal))
            em = ~cm
            results[f"{prefix}uncal_K{K}"] = per_recording(p_all[em], rec_te[em], yte[em])[0]
            W, b = fit_head(E_all[cm], yte[cm], W0, b0, args.lam, classes)
            results[f"{prefix}head_K{K}"] = per_recording(softmax(E_all[em] @ W.T + b), rec_te[em], yte[em])[0]
            P = prototypes(E_all[cm], yte[cm], classes)
            results[f"{prefix}proto_K{K}"] = per_recording(proto_prob(E_all[em], P), rec_te[em], yte[em])[0]
            if args.ft_steps > 0:
                m_ft = finetune(model, Xt[cm], yte[cm], args, gen, classes)
                W_ft, b_ft = (m_ft.fc.weight.detach().numpy().astype(np.float64),
                              m_ft.fc.bias.detach().numpy().astype(np.float64))
                logits = embed_all(m_ft, np.ascontiguousarray(Xt[em])) @ W_ft.T + b_ft
                results[f"{prefix}ft_K{K}"] = per_recording(softmax(logits), rec_te[em], yte[em])[0]
            if args.transductive:
                W2, b2 = self_train(E_all[cm], yte[cm], E_all[em], W0, b0, W, b, args.lam, classes)
                results[f"{prefix}st_K{K}"] = per_recording(softmax(E_all[em] @ W2.T + b2), rec_te[em], yte[em])[0]
                P2 = soft_kmeans(E_all[cm], yte[cm], E_all[em], classes)
                results[f"{prefix}km_K{K}"] = per_recording(proto_prob(E_all[em], P2), rec_te[em], yte[em])[0]
    results["minutes"] = (time.time() - t0) / 60
    desc = " ".join(a for a in (argv if argv is not None else sys.argv[1:]) if a)
    print(json.dumps(results), flush=True)
    if not args.no_log:
        line = (f"| {args.tag}{' [group-norm]' if args.group_norm else ''} | {args.train_height}+dist->{args.test_height}"
                f"{' (no dist)' if args.no_distance else ''} | {100 * results['uncal_all']:.1f} | "
                f"{100 * results['head_K1']:.1f} / {100 * results['proto_K1']:.1f} (uncal {100 * results['uncal_K1']:.1f}) | "
                f"{100 * results['head_K3']:.1f} / {100 * results['proto_K3']:.1f} | ")
        if args.adain:
            line += (f"{100 * results['adain-uncal_all']:.1f}; K1 {100 * results['adain-head_K1']:.1f} / "
                     f"{100 * results['adain-proto_K1']:.1f}; K3 {100 * results['adain-head_K3']:.1f} / "
                     f"{100 * results['adain-proto_K3']:.1f} | ")
        else:
            line += " - | "
        extra = {k: round(100 * v, 1) for k, v in results.items() if k.split("-")[-1].startswith(("st_", "km_", "ft_")) or k.startswith(("adainm", "adaincal"))}
        line += f"{100 * val_acc:.1f} | `{desc}`{' ' + json.dumps(extra) if extra else ''} |\n"
        new = not os.path.exists(LOG)
        with open(LOG, "a") as fh:
            if new:
                fh.write("# WiAR cross-height log\n\nColumns: uncalibrated per-recording accuracy on all test-height "
                         "recordings; K=1 head-refit / prototype (and uncalibrated on the same 464 remaining); K=3 "
                         "head / proto; same with test-height normalisation re-estimated unlabelled (adain); "
                         "validation = held-out trials of the training settings.\n\n"
                         "| tag | direction | uncal % | K=1 head / proto % | K=3 head / proto % | adain: uncal; K1; K3 | "
                         "val % | args |\n|---|---|---|---|---|---|---|---|\n")
            fh.write(line)
    if args.save:
        torch.save({"state": model.state_dict(), "mean": mean, "std": std, "args": vars(args), "best_epoch": best[1]},
                   args.save)
    return results


if __name__ == "__main__":
    main()
